"""Every write of the documentation app: templates, drafts (optimistic concurrency), signing, co-signing,
addenda, private notes. Keyword-only, atomic, audited. Rules enforced here raise DomainError subclasses with a
message meant for the clinician; nothing is half-saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import StaffProfile, User
from trellis.accounts.policies import has_capability
from trellis.attendance.models import Attendance
from trellis.audit.services import AuditAction, AuditEntry, record, record_many
from trellis.core.acknowledgement import clean_action_taken
from trellis.core.errors import ConflictError, DomainError
from trellis.patients.models import FlagKind
from trellis.patients.services import set_flag
from trellis.programs.models import ServiceType
from trellis.referrals.models import SafetyPlan

from . import policies, risk_rules
from .default_templates import DEFAULT_TEMPLATE_FOR_SERVICE, DEFAULT_TEMPLATES, SERVICE_FALLBACK
from .hashing import addendum_payload, content_hash, note_payload
from .models import (
    Addendum,
    Note,
    NoteKind,
    NoteReturn,
    NoteStatus,
    NoteTemplate,
    NoteTemplateVersion,
    ParticipantNote,
    PrivateNote,
    PrivateNoteKind,
    RiskNotice,
    Signature,
    SignatureKind,
)
from .note_schema import FieldError, SchemaError, Scope, normalize_content, parse_template, validate_content
from .plan_objectives import current_objectives
from .privacy import names_found, strings_in
from .rules import ATTENDED_STATUSES, cosign_required, is_late, signature_deadline

MAX_ADDENDUM_LENGTH = 20_000
MAX_PRIVATE_NOTE_LENGTH = 100_000


# ---------------------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------------------
class NoteValidationError(DomainError):
    """Content does not fit the template version. ``errors``: {"shared" | participant public_id: [FieldError]}."""

    def __init__(self, message: str, errors: Mapping[str, list[FieldError]]):
        super().__init__(message, code="invalid")
        self.errors = dict(errors)


class NoteConflict(ConflictError):
    """Someone saved the draft after this user loaded it (optimistic concurrency: Note.version).
    ``sections``: the sections both people changed ("shared" / participant public ids), when known."""

    def __init__(self, *, note: Note, sections: list[str] | None = None):
        who = note.last_saved_by.display_name if note.last_saved_by else "Someone"
        when = timezone.localtime(note.updated_at, note.session.site.zone).strftime("%H:%M")
        super().__init__(
            f"{who} saved this note at {when}, after you opened it. Your text is still in the form below and was "
            "not saved: review the differences, then save again to keep your version.",
            code="conflict",
        )
        self.note = note
        self.current_version = note.version
        self.sections = list(sections or [])


class NotAllowed(DomainError):
    pass


def _require(decision: policies.Decision) -> None:
    if not decision:
        raise NotAllowed(decision.reason)


# ---------------------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------------------
@transaction.atomic
def ensure_default_templates(*, organization: Any) -> list[NoteTemplate]:
    """Install the shipped templates for an organization (idempotent). Runs when an organization is created
    (accounts' ``organization_created`` hook, connected in apps.py); a data migration ran it for the
    organizations that existed before. Pages never create templates."""
    defaults = set(DEFAULT_TEMPLATE_FOR_SERVICE.items())
    has_default = set(NoteTemplate.objects.filter(organization=organization, is_default=True)
                      .values_list("service_type", flat=True))
    out = []
    for data in DEFAULT_TEMPLATES:
        service_type = data["service_types"][0]
        template, created = NoteTemplate.objects.get_or_create(
            organization=organization,
            key=data["key"],
            # an organization that chose its own default for a service type keeps it
            defaults={"name": data["name"], "service_type": service_type, "format": data.get("format", ""),
                      "is_default": (service_type, data["key"]) in defaults and service_type not in has_default},
        )
        if created and template.is_default:
            has_default.add(service_type)
        if created or not template.versions.exists():
            NoteTemplateVersion.objects.create(template=template, version=1, schema=data)
        out.append(template)
    return out


@transaction.atomic
def publish_template_version(*, template: NoteTemplate, schema: Mapping[str, Any], user: User) -> NoteTemplateVersion:
    if any("\x00" in text for text in strings_in(schema)) or any("\x00" in str(k) for k in schema):
        raise DomainError("The template definition contains a NUL character; remove it.", field="schema")
    try:
        parse_template(schema)
    except SchemaError as exc:
        raise DomainError("The template definition has problems: " + "; ".join(exc.problems),
                          field="schema") from exc
    NoteTemplate.objects.select_for_update().filter(pk=template.pk).first()
    latest = template.versions.aggregate(m=Max("version"))["m"] or 0
    version = NoteTemplateVersion.objects.create(template=template, version=latest + 1, schema=dict(schema),
                                                 created_by=user)
    record(action=AuditAction.CREATE, obj=version, detail={"template": str(template.public_id),
                                                          "version": version.version})
    return version


@transaction.atomic
def create_template(
    *,
    organization: Any,
    user: User,
    key: str,
    name: str,
    service_type: str,
    copy_from: NoteTemplate,
    make_default: bool = False,
) -> NoteTemplate:
    """A new organization template, starting as a copy of another template's latest version."""
    key, name = (key or "").strip(), (name or "").strip()
    if service_type not in ServiceType.values:
        raise DomainError("Choose a service type.", field="service_type")
    if not name:
        raise DomainError("Give the template a name.", field="name")
    if copy_from.organization_id != organization.pk:
        raise DomainError("Choose a template of your organization to start from.", field="copy_from")
    if NoteTemplate.objects.filter(organization=organization, key=key).exists():
        raise DomainError("A template with this key already exists.", field="key")
    source = copy_from.versions.order_by("-version").first()
    schema = {**(source.schema if source else {}), "key": key, "name": name, "service_types": [service_type]}
    try:
        parse_template(schema)
    except SchemaError as exc:
        raise DomainError("; ".join(exc.problems), field="key") from exc
    if make_default:
        NoteTemplate.objects.filter(organization=organization, service_type=service_type,
                                    is_default=True).update(is_default=False)
    template = NoteTemplate.objects.create(organization=organization, key=key, name=name, service_type=service_type,
                                           format=schema.get("format", ""), is_default=make_default,
                                           created_by=user)
    NoteTemplateVersion.objects.create(template=template, version=1, schema=schema, created_by=user)
    record(action=AuditAction.CREATE, obj=template, detail={"key": key, "service_type": service_type})
    return template


def current_template_version(*, organization: Any, service_type: str, key: str | None = None) -> NoteTemplateVersion:
    """Latest version of the template ``key`` (or of the service type's default template)."""
    qs = NoteTemplate.objects.filter(organization=organization, active=True)
    if key:
        template = qs.filter(key=key).first()
    else:
        st = service_type
        template = qs.filter(service_type=st, is_default=True).first() or qs.filter(
            service_type=SERVICE_FALLBACK.get(st, st), is_default=True).first()
    if template is None:
        raise DomainError("Choose one of the organization's note templates." if key else
                          "The organization has no note template for this service; a program manager can add one "
                          "under Note templates.", field="template")
    version = template.versions.order_by("-version").first()
    if version is None:
        raise DomainError("This template has no published version.")
    return version


# ---------------------------------------------------------------------------------------------------------
# Starting notes
# ---------------------------------------------------------------------------------------------------------
def _attended(session: Any) -> list[Any]:
    return list(
        Attendance.objects.filter(session=session, status__in=ATTENDED_STATUSES)
        .select_related("episode", "episode__patient").order_by("pk")
    )


def _is_group(session: Any) -> bool:
    # scheduling.Session: an individual appointment names its one episode; a group session does not.
    return session.episode_id is None


@transaction.atomic
def start_note(
    *,
    session: Any,
    user: User,
    template_version: NoteTemplateVersion | None = None,
    attendance: Any = None,
) -> Note:
    """Open (or return the existing) draft for a session: a group note with one section per attendee, or an
    individual note for the patient of ``attendance``."""
    _require(policies.can_write_for_session(user, session))
    organization = session.site.organization
    if template_version is None:
        template_version = current_template_version(organization=organization, service_type=session.service_type)
    elif template_version.template.organization_id != organization.pk:
        raise DomainError("That template belongs to another organization.", field="template")
    if _is_group(session):
        existing = Note.objects.filter(session=session, episode__isnull=True).first()
        if existing:
            return existing
        roster = _attended(session)
        kind, episode = NoteKind.GROUP, None
    else:
        if attendance is None:
            roster = _attended(session)
            if len(roster) != 1:
                raise DomainError("Choose the patient this note is for.", field="attendance")
            attendance = roster[0]
        if attendance.session_id != session.pk:
            raise DomainError("That patient is not on this session.", field="attendance")
        if attendance.status not in ATTENDED_STATUSES:
            raise DomainError("The patient is not marked as attending this session; correct attendance first.",
                              field="attendance")
        existing = Note.objects.filter(session=session, episode=attendance.episode).first()
        if existing:
            return existing
        roster = [attendance]
        kind, episode = NoteKind.INDIVIDUAL, attendance.episode
    try:
        with transaction.atomic():
            note = Note.objects.create(session=session, episode=episode, kind=kind,
                                       template_version=template_version, author=user, created_by=user,
                                       last_saved_by=user)
    except IntegrityError:  # started by someone else a moment ago
        return Note.objects.get(session=session, episode=episode) if episode else Note.objects.get(
            session=session, episode__isnull=True)
    ParticipantNote.objects.bulk_create([
        ParticipantNote(note=note, episode=a.episode, attendance=a, created_by=user) for a in roster
    ])
    record(action=AuditAction.CREATE, obj=note, detail={"kind": kind, "participants": len(roster)})
    return note


def _missing_attendees(note: Note) -> list[Any]:
    """Attendance of patients marked as attending the note's (group) session who have no section yet."""
    if note.kind != NoteKind.GROUP:
        return []
    have = set(note.participants.values_list("episode_id", flat=True))
    return [a for a in _attended(note.session) if a.episode_id not in have]


def _add_sections_locked(note: Note, user: User) -> list[ParticipantNote]:
    """Add a section for each patient marked as attending since the draft was started. The caller holds the note's
    row lock and has checked that it is still a draft (bulk_create does not go through the signed-note guard).
    Sections of patients no longer marked as attending are kept (never silently dropped) and block signing."""
    new = [ParticipantNote(note=note, episode=a.episode, attendance=a, created_by=user)
           for a in _missing_attendees(note)]
    if new:
        ParticipantNote.objects.bulk_create(new)
        record(action=AuditAction.UPDATE, obj=note, detail={"added_participants": len(new)})
    return new


@transaction.atomic
def add_new_attendees(*, session: Any, user: User) -> list[ParticipantNote]:
    """Attendance of ``session`` was marked or corrected (attendance's ``attendance_marked`` hook, connected in
    apps.py): give patients now marked as attending a section on the session's draft group note. Under the note's
    row lock, so it cannot interleave with signing; a signed note is never touched."""
    note = (Note.objects.select_for_update(of=("self",)).select_related("session")
            .filter(session=session, kind=NoteKind.GROUP, episode__isnull=True).first())
    if note is None or not note.is_draft:
        return []
    return _add_sections_locked(note, user)


# ---------------------------------------------------------------------------------------------------------
# Drafts
# ---------------------------------------------------------------------------------------------------------
def _validate(
    note: Note,
    participants: list[ParticipantNote],
    shared: Mapping[str, Any] | None,
    contents: Mapping[str, Mapping[str, Any]],
    *,
    require_complete: bool,
) -> dict[str, list[FieldError]]:
    schema = note.template_version.parsed
    errors: dict[str, list[FieldError]] = {}
    if shared is not None:
        errs = validate_content(schema, shared, scope=Scope.SHARED, require_complete=require_complete)
        if errs:
            errors["shared"] = errs
    if contents:
        allowed = current_objectives(p.episode for p in participants)
        for p in participants:
            key = str(p.public_id)
            if key not in contents:
                continue
            errs = validate_content(schema, contents[key], scope=Scope.PARTICIPANT,
                                    require_complete=require_complete, allowed_objectives=allowed.get(p.episode_id))
            if errs:
                errors[key] = errs
    return errors


def _summary(errors: Mapping[str, list[FieldError]], note: Note, participants: list[ParticipantNote]) -> str:
    count = sum(len(v) for v in errors.values())
    return f"{count} field(s) need attention before this can be saved." if count else ""


SHARED_KEY = "shared"


def session_defaults(note: Note) -> dict[str, dict[str, Any]]:
    """What the note form pre-fills in the shared section: start/end times from the schedule (site time zone)."""
    s = note.session
    zone = s.site.zone
    start = timezone.localtime(s.starts_at, zone) if s.starts_at else None
    end = timezone.localtime(s.ends_at, zone) if s.ends_at else None
    out: dict[str, dict[str, Any]] = {}
    for section in note.template_version.parsed.sections_for(Scope.SHARED):
        keys = {f.key for f in section.fields}
        vals: dict[str, Any] = {}
        if "start_time" in keys and start:
            vals["start_time"] = start.strftime("%H:%M")
        if "end_time" in keys and end:
            vals["end_time"] = end.strftime("%H:%M")
        out[section.key] = vals
    return out


def shared_as_rendered(note: Note, content: Mapping[str, Any] | None) -> dict[str, Any]:
    """The shared section as a draft's form shows it: ``content`` with the schedule's times where a field is empty
    (the same rule as forms.build_sections). Its hash is the section's base, so an untouched form whose only
    "change" is the pre-filled times is not an edit, and never overwrites someone else's text."""
    out: dict[str, Any] = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in (content or {}).items()}
    for section, values in session_defaults(note).items():
        if not values:
            continue
        current = out.get(section)
        current = dict(current) if isinstance(current, Mapping) else {}
        for key, value in values.items():
            if current.get(key) in (None, "", [], {}):
                current[key] = value
        out[section] = current
    return out


def section_hashes(note: Note, participants: list[ParticipantNote] | None = None) -> dict[str, str]:
    """Hash of each section ("shared" and each ParticipantNote public id), in normalised form, as the draft's form
    shows it (the shared section with its pre-filled times). The note screen sends them back as the "base" of
    each section for the three-way merge in save_draft."""
    schema = note.template_version.parsed
    if participants is None:
        participants = list(note.participants.all())
    shared = shared_as_rendered(note, note.shared_content) if note.is_draft else note.shared_content
    out = {SHARED_KEY: content_hash(normalize_content(schema, Scope.SHARED, shared))}
    for p in participants:
        out[str(p.public_id)] = content_hash(normalize_content(schema, Scope.PARTICIPANT, p.content))
    return out


def changed_sections(
    schema: Any,
    shared: Mapping[str, Any] | None,
    contents: Mapping[str, Mapping[str, Any]],
    bases: Mapping[str, str],
) -> tuple[Mapping[str, Any] | None, dict[str, Mapping[str, Any]]]:
    """Keep only the sections the user changed since loading them (their hash differs from the base)."""

    def h(scope: Scope, content: Any) -> str:
        return content_hash(normalize_content(schema, scope, content))

    if shared is not None and h(Scope.SHARED, shared) == bases.get(SHARED_KEY):
        shared = None
    return shared, {k: v for k, v in contents.items() if h(Scope.PARTICIPANT, v) != bases.get(k)}


@transaction.atomic
def save_draft(
    *,
    note: Note,
    user: User,
    expected_version: int,
    shared: Mapping[str, Any] | None = None,
    participants: Mapping[str, Mapping[str, Any]] | None = None,
    bases: Mapping[str, str] | None = None,
    add_attendees: bool = True,
) -> Note:
    """Save the shared section and any number of participant sections in one transaction.

    ``participants``: {ParticipantNote.public_id (str): content}.

    Concurrency, optimistic. Without ``bases``: when the note was saved by anyone since ``expected_version`` was
    read (Note.version), the save is refused with NoteConflict and nothing is written. With ``bases`` (the hash of
    each section as the user loaded it, see section_hashes; the note screen sends them): only the sections the
    user changed are written, and each must still be as the user loaded it, else NoteConflict names the
    sections both people changed; edits of different patients by two people are merged, and a stale copy of a
    section never overwrites newer text.
    NoteValidationError when content does not fit the template (nothing written).

    ``add_attendees``: also add a section for each patient marked as attending whose section is missing (attendance
    written before the hook existed, or below the services), under the note's lock."""
    _require(policies.can_edit(user, note))
    # A rating the answers contradict is corrected, not kept (C-SSRS triage: documentation.risk_rules).
    contents = {str(k): risk_rules.force_levels(v) for k, v in (participants or {}).items()}
    roster = list(note.participants.select_related("episode", "episode__patient"))
    by_id = {str(p.public_id): p for p in roster}
    unknown = [k for k in contents if k not in by_id]
    if unknown:
        raise DomainError("A section in the form is not on this note's roster; reload the page.")
    errors = _validate(note, roster, shared, contents, require_complete=False)
    if errors:
        raise NoteValidationError(_summary(errors, note, roster), errors)
    current = (Note.objects.select_for_update(of=("self",)).select_related("last_saved_by", "session__site",
                                                                          "template_version")
               .get(pk=note.pk))
    if not current.is_draft:
        raise NotAllowed("This note was signed in the meantime and can no longer be changed. Add an addendum instead.")
    if add_attendees:
        _add_sections_locked(current, user)
    if bases is not None:
        shared, contents = changed_sections(current.template_version.parsed, shared, contents, bases)
    if bases is None:
        if current.version != expected_version:
            raise NoteConflict(note=current)
    else:
        # Section by section: a section the user changed must still be as they loaded it (whatever the note's
        # version, which other people's saves of other sections also move on).
        stored = section_hashes(current, list(current.participants.all()))
        schema = current.template_version.parsed

        def same_as_stored(key: str, scope: Scope, content: Any) -> bool:
            return content_hash(normalize_content(schema, scope, content)) == stored.get(key)

        # Both people made the same change: nothing to write, nothing to report.
        if shared is not None and same_as_stored(SHARED_KEY, Scope.SHARED, shared):
            shared = None
        contents = {k: v for k, v in contents.items() if not same_as_stored(k, Scope.PARTICIPANT, v)}
        clashes = ([SHARED_KEY] if shared is not None and stored[SHARED_KEY] != bases.get(SHARED_KEY) else []) + [
            k for k in contents if stored.get(k) != bases.get(k)]
        if clashes:
            raise NoteConflict(note=current, sections=clashes)
    now = timezone.now()
    fields: dict[str, Any] = {"version": F("version") + 1, "last_saved_by": user, "updated_at": now}
    if shared is not None:
        fields["shared_content"] = dict(shared)
    updated = Note.objects.filter(pk=note.pk, version=current.version, status=NoteStatus.DRAFT).update(**fields)
    if not updated:  # pragma: no cover - the row lock makes this a belt-and-braces check
        raise NoteConflict(note=Note.objects.select_related("last_saved_by", "session__site").get(pk=note.pk))
    changed = []
    for key, content in contents.items():
        p = by_id[key]
        if p.content != content:
            p.content = dict(content)
            p.updated_at = now
            changed.append(p)
    if changed:
        ParticipantNote.objects.bulk_update(changed, ["content", "updated_at"])
    note.refresh_from_db()
    # What this save wrote (the view updates only these sections' bases in the form).
    note.saved_sections = ([SHARED_KEY] if shared is not None else []) + list(contents)  # type: ignore[attr-defined]
    # One INSERT for the note's and every changed section's events, whatever the group's size.
    record_many([
        AuditEntry(action=AuditAction.UPDATE, obj=note, site=current.session.site,
                   detail={"version": note.version, "shared": shared is not None, "participants": len(changed)}),
        *(AuditEntry(action=AuditAction.UPDATE, obj=p, patient=p.episode.patient, site=current.session.site,
                     detail={"note": str(note.public_id)}) for p in changed),
    ], actor=user)
    return note


# ---------------------------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------------------------
def note_hash(note: Note, participants: list[ParticipantNote] | None = None) -> str:
    """Hash of the note as stored now (used to sign, co-sign and verify)."""
    if participants is None:
        participants = list(note.participants.select_related("episode", "attendance"))
    tv = note.template_version
    return content_hash(note_payload(
        note_id=note.public_id,
        session_id=note.session.public_id,
        template_key=tv.template.key,
        template_version=tv.version,
        shared=note.shared_content,
        participants=[{"episode": p.episode.public_id,
                       "attendance": p.attendance.public_id if p.attendance_id else None,
                       "content": p.content} for p in participants],
    ))


NAMES_PATH = "names"


def _other_patients_named(note: Note, participants: list[ParticipantNote]) -> dict[str, list[FieldError]]:
    """Names of the session's patients found where they would reach another patient's chart (see privacy.py)."""
    names: dict[int, set[str]] = {}
    for a in Attendance.objects.filter(session_id=note.session_id).select_related("episode__patient"):
        pt = a.episode.patient
        names[a.episode_id] = {pt.legal_first_name, pt.legal_last_name, pt.preferred_name or ""}
    for p in participants:
        pt = p.episode.patient
        names.setdefault(p.episode_id, {pt.legal_first_name, pt.legal_last_name, pt.preferred_name or ""})
    errors: dict[str, list[FieldError]] = {}
    everyone = set().union(*names.values()) if names else set()
    found = names_found(note.shared_content, everyone) if note.kind == NoteKind.GROUP else []
    if found:
        errors["shared"] = [FieldError(NAMES_PATH, "Shared section",
                                       f"names a patient ({', '.join(found)}); the shared section is copied into "
                                       "every attendee's chart")]
    if note.kind == NoteKind.GROUP:
        for p in participants:
            own = names.get(p.episode_id, set())
            others = set().union(*(v for k, v in names.items() if k != p.episode_id)) - own if names else set()
            hits = names_found(p.content, others)
            if hits:
                errors[str(p.public_id)] = [FieldError(NAMES_PATH, "This patient's section",
                                                       f"names another patient ({', '.join(hits)}); this section "
                                                       "is copied into this patient's chart")]
    return errors


def _staff_profile(user: User) -> Any:
    return StaffProfile.objects.filter(user=user).select_related("supervisor").first()


@transaction.atomic
def sign_note(*, note: Note, user: User) -> Note:
    note = Note.objects.select_for_update(of=("self",)).select_related(
        "session__site", "session__program", "template_version__template").get(pk=note.pk)
    _require(policies.can_sign(user, note))
    participants = list(note.participants.select_related("episode__patient", "attendance"))
    if note.kind == NoteKind.GROUP and not participants:
        raise DomainError("No attendee is on this note. Mark attendance for the session first.")
    missing = _missing_attendees(note)
    if missing:
        raise DomainError(
            f"{len(missing)} patient(s) marked as attending have no section on this note yet. Save the draft to add "
            "their sections, complete them, then sign.")
    absent = [p for p in participants if p.attendance_id and p.attendance.status not in ATTENDED_STATUSES]
    if absent:
        raise DomainError(
            f"{len(absent)} patient(s) on this note are no longer marked as attending. Correct attendance, or "
            "clear their section, before signing.")
    contents = {str(p.public_id): p.content for p in participants}
    errors = _validate(note, participants, note.shared_content, contents, require_complete=True)
    if errors:
        raise NoteValidationError(
            f"The note cannot be signed yet: {sum(len(v) for v in errors.values())} required field(s) are "
            "empty or invalid.", errors)
    name_errors = _other_patients_named(note, participants)
    if name_errors:
        raise NoteValidationError(
            "The note cannot be signed yet: it names another patient of this session in a part that is copied "
            "into someone else's chart. Refer to them as “a peer”.", name_errors)
    high = [p for p in participants if risk_rules.high_risk_blocks(p.content)]
    without_plan = [p for p in high if not SafetyPlan.objects.filter(
        patient=p.episode.patient, completed_at__isnull=False,
        completed_at__date__gte=p.episode.admitted_on).exists()]
    if without_plan:
        raise DomainError(
            f"{len(without_plan)} patient(s) on this note are rated high suicide risk without a completed safety "
            f"plan during this episode: complete the safety plan first ({risk_rules.SOURCE}).", code="safety_plan")
    now = timezone.now()
    program = note.session.program
    deadline = signature_deadline(note.session.ends_at, getattr(program, "note_deadline_hours", None) or None)
    late = is_late(signed_at=now, session_ends_at=note.session.ends_at,
                   deadline_hours=getattr(program, "note_deadline_hours", None) or None)
    profile = _staff_profile(user)
    needs_cosign = cosign_required(author_requires_cosign=bool(profile and profile.requires_cosign))
    digest = note_hash(note, participants)
    Signature.objects.create(
        note=note, kind=SignatureKind.SIGN, signer=user, signer_name=user.display_name,
        credentials=(profile.credentials if profile else "") or "", signed_at=now, content_hash=digest,
        is_late=late, created_by=user,
    )
    note.status = NoteStatus.AWAITING_COSIGN if needs_cosign else NoteStatus.COMPLETE
    note.signed_at = now
    note.signed_by = user
    note.content_hash = digest
    note.is_late = late
    note.deadline_at = deadline
    note.cosign_required = needs_cosign
    note.cosigner = profile.supervisor if (needs_cosign and profile) else None
    note.version = note.version + 1
    note.save()
    _record_per_patient(AuditAction.SIGN, note, participants,
                        detail={"late": late, "cosign_required": needs_cosign, "participants": len(participants)})
    for p in high:
        _notify_high_risk(note, p.episode)
    return note


def _record_per_patient(action: str, note: Note, participants: list[Any] | None = None, *,
                        outcome: str = "success", detail: dict[str, Any] | None = None) -> None:
    """One event per patient on the note, each carrying its patient: a group note's signature is a disclosure
    into every attendee's chart, and the audit report filters by patient (HIPAA 45 CFR 164.312(b))."""
    if participants is None:
        participants = list(note.participants.select_related("episode__patient"))
    patients = {p.episode.patient.pk: p.episode.patient for p in participants}
    site = note.session.site
    entries = [AuditEntry(action=action, obj=note, patient=patient, site=site, outcome=outcome, detail=detail)
               for patient in patients.values()]
    record_many(entries or [AuditEntry(action=action, obj=note, site=site, outcome=outcome, detail=detail)])


def _notify_high_risk(note: Note, episode: Any) -> None:
    """Flag the chart and tell the primary clinician, as a high C-SSRS screen does."""
    set_flag(patient=episode.patient, kind=FlagKind.SUICIDE_RISK, label="High suicide risk in a signed note")
    if episode.primary_clinician_id:
        RiskNotice.objects.create(note=note, episode=episode, recipient_id=episode.primary_clinician_id)
        record(action=AuditAction.CREATE, object_type="risk_notice", object_id=str(note.public_id),
               patient=episode.patient, detail={"recipient": episode.primary_clinician_id})


def acknowledge_risk_notice(*, notice: RiskNotice, user: User, action_taken: str) -> RiskNotice:
    """The recipient acknowledges a high-risk notice with the action taken (who, when, what - the shape of outcomes'
    critical-answer alerts, trellis.core.acknowledgement; TJC NPSG.15.01.01 EP 5-6). Audited; the notice then leaves
    the recipient's open list, Today's counter and the chart panel."""
    action = clean_action_taken(action_taken)
    with transaction.atomic():
        fresh = RiskNotice.objects.select_for_update(of=("self",)).select_related(
            "episode__patient", "episode__program__site", "note").get(pk=notice.pk)
        if fresh.recipient_id != user.pk:
            raise DomainError("Only the clinician the notice was sent to can acknowledge it.")
        if fresh.acknowledged_at is not None:
            raise DomainError("This notice was already acknowledged.")
        fresh.acknowledged_at = timezone.now()
        fresh.acknowledged_by = user
        fresh.action_taken = action
        fresh.save(update_fields=["acknowledged_at", "acknowledged_by", "action_taken"])
        record(action=AuditAction.UPDATE, object_type="risk_notice", object_id=str(fresh.note.public_id),
               patient=fresh.episode.patient, site=fresh.episode.program.site, actor=user,
               detail={"acknowledged": True, "notice": fresh.pk})
    return fresh


@transaction.atomic
def save_and_sign(
    *,
    note: Note,
    user: User,
    expected_version: int,
    shared: Mapping[str, Any] | None = None,
    participants: Mapping[str, Mapping[str, Any]] | None = None,
) -> Note:
    """Save what is in the form and sign it, all or nothing (a refused signature saves nothing).

    Strict version check, no merge: a signer attests to exactly what they saw, so if anyone saved the note after
    the signer loaded it, the signature is refused with NoteConflict and the screen shows the other person's
    text first."""
    _require(policies.can_sign(user, note))
    note = save_draft(note=note, user=user, expected_version=expected_version, shared=shared,
                      participants=participants, add_attendees=False)
    return sign_note(note=note, user=user)


@transaction.atomic
def cosign_note(*, note: Note, user: User) -> Note:
    note = Note.objects.select_for_update(of=("self",)).select_related("session__site", "template_version__template").get(
        pk=note.pk)
    _require(policies.can_cosign(user, note))
    if note_hash(note) != note.content_hash:
        _record_per_patient(AuditAction.SIGN, note, outcome="failure", detail={"reason": "hash_mismatch"})
        raise DomainError("The note's content no longer matches its signature; it cannot be co-signed. "
                          "Report this to the privacy officer.")
    profile = _staff_profile(user)
    now = timezone.now()
    Signature.objects.create(
        note=note, kind=SignatureKind.COSIGN, signer=user, signer_name=user.display_name,
        credentials=(profile.credentials if profile else "") or "", signed_at=now, content_hash=note.content_hash,
        created_by=user,
    )
    note.status = NoteStatus.COMPLETE
    note.cosigned_at = now
    if note.cosigner_id is None:
        note.cosigner = user
    note.save()
    _record_per_patient(AuditAction.SIGN, note, detail={"cosign": True})
    return note


RETURN_COMMENTS_MAX = 4000


@transaction.atomic
def return_note(*, note: Note, user: User, comments: str) -> NoteReturn:
    """The supervisor sends a note awaiting co-signature back to its author with comments, instead of
    co-signing it: the note becomes a draft the author can edit and sign again (the earlier signature stays on
    record, marked returned). Audited per patient on the note; the author is e-mailed (no PHI: a link only)."""
    note = Note.objects.select_for_update(of=("self",)).select_related(
        "session__site", "author", "template_version__template").get(pk=note.pk)
    _require(policies.can_cosign(user, note))
    text = (comments or "").strip()
    if not text:
        raise DomainError("Write what the author should change before returning the note.", field="comments")
    if len(text) > RETURN_COMMENTS_MAX:
        raise DomainError(f"Keep the comments under {RETURN_COMMENTS_MAX} characters.", field="comments")
    signature = note.signatures.filter(kind=SignatureKind.SIGN, returned_at__isnull=True).first()
    now = timezone.now()
    if signature is not None:
        # the only change a signature ever takes: marking it returned (Signature.save refuses any other)
        Signature.objects.filter(pk=signature.pk, returned_at__isnull=True).update(returned_at=now)
    returned = NoteReturn.objects.create(note=note, signature=signature, returned_by=user, returned_at=now,
                                         comments=text, created_by=user)
    note.status = NoteStatus.DRAFT
    note.signed_at = None
    note.signed_by = None
    note.content_hash = ""
    note.is_late = False
    note.cosign_required = False
    note.cosigner = None
    note.version = note.version + 1
    note._returning_to_author = True  # the one transition out of "awaiting co-signature" back to draft
    try:
        note.save()
    finally:
        note._returning_to_author = False
    _record_per_patient(AuditAction.UNLOCK, note, detail={"returned_to_author": True,
                                                         "return": str(returned.public_id)})
    author_email = note.author.email
    link = f"{settings.TRELLIS_PUBLIC_URL}{reverse('documentation:note', kwargs={'note_id': note.public_id})}"
    transaction.on_commit(lambda: send_mail(
        "A note was returned to you for changes",
        f"Your supervisor returned a note to you with comments instead of co-signing it.\n\nOpen it: {link}\n",
        None, [author_email], fail_silently=True))
    return returned


@transaction.atomic
def add_addendum(*, note: Note, user: User, text: str, episode: Any = None) -> Addendum:
    note = Note.objects.select_for_update(of=("self",)).select_related("session__site").get(pk=note.pk)
    _require(policies.can_add_addendum(user, note))
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise DomainError("Write the addendum text.", field="text")
    if len(text) > MAX_ADDENDUM_LENGTH:
        raise DomainError(f"The addendum is too long (at most {MAX_ADDENDUM_LENGTH} characters).", field="text")
    patient = None
    if episode is not None:
        part = note.participants.filter(episode=episode).select_related("episode__patient").first()
        if part is None:
            raise DomainError("That patient is not on this note.", field="episode")
        patient = part.episode.patient
    if note.kind == NoteKind.GROUP:
        # Addenda are copied into charts like the note itself: no other patient's name (see privacy.py).
        roster = list(Attendance.objects.filter(session_id=note.session_id)
                      .select_related("episode__patient"))
        names = {a.episode_id: {a.episode.patient.legal_first_name, a.episode.patient.legal_last_name,
                                a.episode.patient.preferred_name or ""} for a in roster}
        own = names.get(episode.pk, set()) if episode is not None else set()
        others = set().union(*(v for k, v in names.items() if episode is None or k != episode.pk)) - own \
            if names else set()
        found = names_found(text, others)
        if found:
            raise DomainError(f"The addendum names a patient ({', '.join(found)}) and would be copied into another "
                              "patient's chart. Refer to them as “a peer”.", field="text")
    addendum = Addendum.objects.create(note=note, episode=episode, author=user, text=text, created_by=user)
    profile = _staff_profile(user)
    Signature.objects.create(
        note=note, addendum=addendum, kind=SignatureKind.ADDENDUM, signer=user, signer_name=user.display_name,
        credentials=(profile.credentials if profile else "") or "", signed_at=timezone.now(),
        content_hash=content_hash(addendum_payload(addendum_id=addendum.public_id, note_id=note.public_id,
                                                   text=text, note_hash=note.content_hash)),
        created_by=user,
    )
    record(action=AuditAction.CREATE, obj=addendum, patient=patient, detail={"note": str(note.public_id)})
    return addendum


@dataclass(frozen=True)
class Verification:
    ok: bool
    note_ok: bool
    addenda_ok: bool
    expected: str
    actual: str


def verify_note(*, note: Note) -> Verification:
    """Recompute the hashes of a signed note and of its addenda."""
    if note.is_draft:
        return Verification(False, False, True, "", "")
    actual = note_hash(note)
    sigs = list(note.signatures.filter(returned_at__isnull=True).select_related("addendum"))
    note_ok = actual == note.content_hash and all(
        s.content_hash == note.content_hash for s in sigs if s.kind != SignatureKind.ADDENDUM)
    addenda_ok = all(
        s.content_hash == content_hash(addendum_payload(addendum_id=s.addendum.public_id, note_id=note.public_id,
                                                        text=s.addendum.text, note_hash=note.content_hash))
        for s in sigs if s.kind == SignatureKind.ADDENDUM
    )
    return Verification(note_ok and addenda_ok, note_ok, addenda_ok, note.content_hash, actual)


# ---------------------------------------------------------------------------------------------------------
# Private notes (author only; never part of the record)
# ---------------------------------------------------------------------------------------------------------
def _clean_private_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise DomainError("Write the note text.", field="text")
    if len(text) > MAX_PRIVATE_NOTE_LENGTH:
        raise DomainError(f"The note is too long (at most {MAX_PRIVATE_NOTE_LENGTH} characters).", field="text")
    return text


@transaction.atomic
def create_private_note(*, author: Any, episode: Any, text: str, kind: str = PrivateNoteKind.PSYCHOTHERAPY,
                        session: Any = None) -> PrivateNote:
    if not has_capability(author, Cap.NOTE_WRITE, episode.program.site):
        raise NotAllowed("You may not write notes for this patient.")
    if kind not in PrivateNoteKind.values:
        raise DomainError("Choose the kind of private note.", field="kind")
    if session is not None and not Attendance.objects.filter(session=session, episode=episode).exists():
        raise DomainError("That session is not one of this patient's sessions.", field="session")
    pn = PrivateNote.objects.create(author=author, episode=episode, session=session, kind=kind,
                                    text=_clean_private_text(text), created_by=author)
    record(action=AuditAction.CREATE, obj=pn, patient=episode.patient, detail={"kind": kind})
    return pn


@transaction.atomic
def update_private_note(*, private_note: PrivateNote, user: User, text: str, expected_version: int) -> PrivateNote:
    _require(policies.can_use_private_note(user, private_note))
    updated = PrivateNote.objects.filter(pk=private_note.pk, version=expected_version).update(
        text=_clean_private_text(text), version=F("version") + 1, updated_at=timezone.now())
    if not updated:
        raise DomainError("This private note was changed in another window; reload it before saving.")
    private_note.refresh_from_db()
    record(action=AuditAction.UPDATE, obj=private_note, patient=private_note.episode.patient)
    return private_note
