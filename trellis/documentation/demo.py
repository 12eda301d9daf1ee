"""Demo documentation: signed group notes for most past sessions with attendance, some drafts and missing notes
(the worklist has work in it), some signed late, notes of the supervised therapist awaiting co-signature (and some
co-signed), individual notes for appointments, and a few addenda.

Deterministic (ctx.rng, including public ids) and bulk-inserted so that --patients 10000 stays fast. Content
hashes are computed exactly as the signing service does, so ``verify_note`` holds for demo notes too.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.utils import timezone

from trellis.accounts.models import StaffProfile
from trellis.attendance.models import Attendance
from trellis.core.demo import DemoContext
from trellis.scheduling.models import Session

from .default_templates import DEFAULT_TEMPLATE_FOR_SERVICE, SERVICE_FALLBACK
from .hashing import addendum_payload, content_hash, note_payload
from .models import (
    Addendum,
    Note,
    NoteKind,
    NoteStatus,
    NoteTemplate,
    NoteTemplateVersion,
    ParticipantNote,
    PrivateNote,
    PrivateNoteKind,
    Signature,
    SignatureKind,
)
from .note_schema import (
    RISK_ITEMS,
    FieldKind,
    Scope,
    TemplateSchema,
)
from .plan_objectives import current_objectives
from .rules import ATTENDED_STATUSES, DEFAULT_DEADLINE_HOURS
from .services import ensure_default_templates

CHUNK = 400

TOPICS = [
    ("Coping with cravings", "Relapse prevention, module 3"),
    ("Thought records", "CBT for depression, session 4"),
    ("Distress tolerance: TIPP", "DBT skills, distress tolerance"),
    ("Sleep hygiene", "Wellness, module 2"),
    ("Building a safety plan", "Crisis skills"),
    ("Values and committed action", "ACT, module 1"),
    ("Communicating needs (DEAR MAN)", "DBT skills, interpersonal effectiveness"),
    ("Grief and loss", "Process group"),
    ("Understanding triggers", "Trauma-informed stabilization"),
    ("Medication questions", "Psychoeducation"),
]
NARRATIVE = [
    "Shared a recent stressor and identified one skill to use.",
    "Practiced the exercise with the group and gave peer feedback.",
    "Described improved sleep since last week.",
    "Reported urges on the weekend; used distraction and called a support.",
    "Quiet at first; engaged after the role play.",
    "Linked today's topic to the goal of returning to work.",
]
PLANS = [
    "Continue group; practice the skill daily and log use.",
    "Review homework next session; check in on sleep.",
    "Continue current plan; bring the worksheet to individual session.",
    "Follow up on urges with the primary therapist.",
]


# Sensible demo text for fields whose meaning a generic sentence would not fit.
FIELD_TEXT = {
    "attendees": ["Mother", "Mother and stepfather", "Spouse", "Father and sister", "Grandmother"],
    "focus": ["Communication at home after discharge planning", "Family safety plan and warning signs",
              "Rebuilding routines: sleep, school, meals"],
    "dynamics": ["Family listened without interrupting; mother tearful when discussing the crisis.",
                 "Tension around curfew; both agreed on a written plan."],
    "learning_objectives": ["Name three early warning signs; describe one coping response for each."],
    "homework": ["Practice the skill once a day and note the result on the diary card."],
    "mental_status": ["Alert, oriented; mood 'okay'; affect mildly constricted; thought process linear; "
                      "no SI/HI; insight and judgment fair."],
    "history": ["Sleeping better; mild nausea first week, resolved. Mood improved, still anxious mornings."],
    "labs": ["None today."],
    "interventions": ["Vitals, medication reconciliation, side-effect education."],
    "description": ["Called county housing office with patient; application submitted.",
                    "Arranged transportation vouchers for program days."],
    "timeline": ["Housing decision expected within 30 days; follow up weekly."],
    "coordination": ["Spoke with outpatient prescriber's office about step-down appointment."],
    "subjective": ["Reports a difficult weekend and using the distraction skill twice."],
    "observations": ["Engaged, good eye contact, affect congruent, no psychomotor changes."],
    "assessment": ["Symptoms improving; continues to meet criteria for current level of care."],
    "behavior": ["Arrived on time; described conflict with roommate calmly."],
    "intervention": ["Cognitive restructuring of the 'I always fail' belief; role play of a calm request."],
    "next_session": ["Same time next week"],
}


def _uuid(rng: Any) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _value(rng: Any, spec: Any, objectives: dict[str, str]) -> Any:
    kind = spec.kind
    if kind == FieldKind.TEXT and spec.key in FIELD_TEXT:
        return rng.choice(FIELD_TEXT[spec.key])
    if kind == FieldKind.TEXT:
        return rng.choice(PLANS if "plan" in spec.key else NARRATIVE) if (spec.required or rng.random() < 0.4) else ""
    if kind == FieldKind.CHOICE:
        weights = ([6, 4, 2] + [1] * len(spec.choices))[: len(spec.choices)]
        return rng.choices([c.value for c in spec.choices], weights=weights)[0]
    if kind == FieldKind.MULTI_CHOICE:
        return rng.sample([c.value for c in spec.choices], k=min(len(spec.choices), rng.randint(1, 2)))
    if kind == FieldKind.SCALE:
        return rng.randint(int(spec.max) - 2 if spec.max else 3, int(spec.max or 5))
    if kind == FieldKind.NUMBER:
        lo, hi = spec.min or 0, spec.max or 100
        mid = {"bp_systolic": 122, "bp_diastolic": 78, "pulse": 74, "weight": 172, "temperature": 98,
               "sleep_hours": 7}.get(spec.key, (lo + hi) / 2)
        return int(min(max(mid + rng.randint(-8, 8), lo), hi))
    if kind == FieldKind.OBJECTIVES:
        keys = list(objectives)
        return rng.sample(keys, k=min(len(keys), rng.randint(1, 2))) if keys else []
    if kind == FieldKind.RISK:
        if rng.random() < 0.04:
            return {"suicidal_ideation": "passive", "homicidal_ideation": "denied", "self_harm": "denied",
                    "risk_level": "moderate", "actions": "Safety plan reviewed; primary therapist notified."}
        return {item: "low" if item == "risk_level" else "denied" for item in RISK_ITEMS}
    if kind == FieldKind.MEDICATIONS:
        return [{"medication": "Sertraline", "change": "continue", "dose": "100 mg daily", "instructions": ""}]
    return ""


def _content(rng: Any, schema: TemplateSchema, scope: Scope, objectives: dict[str, str], session: Any,
             zone: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    topic, module = rng.choice(TOPICS)
    for section in schema.sections_for(scope):
        vals: dict[str, Any] = {}
        for spec in section.fields:
            if spec.key == "start_time":
                vals[spec.key] = timezone.localtime(session.starts_at, zone).strftime("%H:%M")
            elif spec.key == "end_time":
                vals[spec.key] = timezone.localtime(session.ends_at, zone).strftime("%H:%M")
            elif spec.key == "topic":
                vals[spec.key] = session.topic or topic
            elif spec.key == "curriculum":
                vals[spec.key] = module
            else:
                vals[spec.key] = _value(rng, spec, objectives)
        out[section.key] = vals
    return out


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng
    if ctx.org is None:
        return
    ensure_default_templates(organization=ctx.org)
    versions: dict[str, NoteTemplateVersion] = {}
    for t in NoteTemplate.objects.filter(organization=ctx.org):
        versions[t.key] = t.versions.order_by("-version").first()
    schemas = {k: v.parsed for k, v in versions.items()}
    profiles = {p.user_id: p for p in StaffProfile.objects.select_related("supervisor")}
    now = timezone.now()

    sessions = list(
        Session.objects.filter(site__organization=ctx.org, ends_at__lte=now, status="scheduled")
        .select_related("site", "program", "facilitator").order_by("starts_at", "pk")
    )
    counts: dict[str, int] = defaultdict(int)
    for start in range(0, len(sessions), CHUNK):
        chunk = sessions[start:start + CHUNK]
        attendance: dict[int, list[Attendance]] = defaultdict(list)
        for a in (Attendance.objects.filter(session__in=chunk, status__in=ATTENDED_STATUSES)
                  .select_related("episode").order_by("pk")):
            attendance[a.session_id].append(a)
        objectives = current_objectives({a.episode_id: a.episode for rows in attendance.values()
                                         for a in rows}.values())
        notes: list[Note] = []
        parts: list[ParticipantNote] = []
        sigs: list[Signature] = []
        addenda: list[Addendum] = []
        for s in chunk:
            rows = attendance.get(s.pk)
            if not rows:
                continue
            hours_ago = (now - s.ends_at).total_seconds() / 3600
            roll = rng.random()
            if hours_ago < 24:
                state = "missing" if roll < 0.3 else "draft" if roll < 0.7 else "signed"
            else:
                state = "missing" if roll < 0.05 else "draft" if roll < 0.10 else "signed"
            if state == "missing":
                counts["missing"] += 1
                continue
            key = DEFAULT_TEMPLATE_FOR_SERVICE.get(s.service_type, "individual_dap")
            if SERVICE_FALLBACK.get(s.service_type, s.service_type) == "individual_therapy":
                key = rng.choice(["individual_dap", "individual_dap", "individual_soap", "individual_birp"])
            version, schema = versions[key], schemas[key]
            zone = s.site.zone
            groups = [(None, rows)] if s.is_group else [(a.episode, [a]) for a in rows]
            for episode, members in groups:
                author = s.facilitator
                note = Note(public_id=_uuid(rng), session=s, episode=episode,
                            kind=NoteKind.GROUP if episode is None else NoteKind.INDIVIDUAL,
                            template_version=version, author=author, created_by=author, last_saved_by=author,
                            shared_content=_content(rng, schema, Scope.SHARED, {}, s, zone))
                members_parts = [
                    ParticipantNote(public_id=_uuid(rng), note=note, episode=a.episode, attendance=a,
                                    created_by=author,
                                    content=_content(rng, schema, Scope.PARTICIPANT,
                                                     objectives.get(a.episode_id, {}), s, zone))
                    for a in members
                ]
                notes.append(note)
                parts.extend(members_parts)
                if state == "draft":
                    counts["draft"] += 1
                    continue
                deadline_hours = (s.program.note_deadline_hours if s.program_id else None) or DEFAULT_DEADLINE_HOURS
                deadline = s.ends_at + timedelta(hours=deadline_hours)
                late = rng.random() < 0.08
                delay = timedelta(hours=rng.uniform(deadline_hours + 2, deadline_hours + 60)) if late else \
                    timedelta(hours=rng.uniform(0.2, deadline_hours - 1))
                signed_at = min(s.ends_at + delay, now - timedelta(minutes=5))
                late = signed_at > deadline
                profile = profiles.get(author.pk)
                digest = content_hash(note_payload(
                    note_id=note.public_id, session_id=s.public_id, template_key=key,
                    template_version=version.version, shared=note.shared_content,
                    participants=[{"episode": p.episode.public_id, "attendance": p.attendance.public_id,
                                   "content": p.content} for p in members_parts]))
                needs_cosign = bool(profile and profile.requires_cosign)
                note.status = NoteStatus.AWAITING_COSIGN if needs_cosign else NoteStatus.COMPLETE
                note.signed_at, note.signed_by, note.content_hash = signed_at, author, digest
                note.is_late, note.deadline_at, note.cosign_required = late, deadline, needs_cosign
                note.cosigner = profile.supervisor if needs_cosign and profile else None
                note.version = 3
                credentials = profile.credentials if profile else ""
                sigs.append(Signature(public_id=_uuid(rng), note=note, kind=SignatureKind.SIGN, signer=author,
                                      signer_name=author.display_name, credentials=credentials,
                                      signed_at=signed_at, content_hash=digest, is_late=late, created_by=author))
                counts["late" if late else "signed"] += 1
                if needs_cosign and note.cosigner and rng.random() < 0.4 and hours_ago > 48:
                    cosigned_at = min(signed_at + timedelta(hours=rng.uniform(2, 30)), now)
                    sup = note.cosigner
                    sup_profile = profiles.get(sup.pk)
                    sigs.append(Signature(public_id=_uuid(rng), note=note, kind=SignatureKind.COSIGN, signer=sup,
                                          signer_name=sup.display_name,
                                          credentials=sup_profile.credentials if sup_profile else "",
                                          signed_at=cosigned_at, content_hash=digest, created_by=sup))
                    note.status, note.cosigned_at = NoteStatus.COMPLETE, cosigned_at
                    counts["cosigned"] += 1
                elif needs_cosign:
                    counts["awaiting_cosign"] += 1
                if rng.random() < 0.03:
                    add = Addendum(public_id=_uuid(rng), note=note, author=author, created_by=author,
                                   text="Addendum: group ended 10 minutes late; times above are as scheduled.")
                    addenda.append(add)
                    sigs.append(Signature(
                        public_id=_uuid(rng), note=note, addendum=add, kind=SignatureKind.ADDENDUM, signer=author,
                        signer_name=author.display_name, credentials=credentials,
                        signed_at=min(signed_at + timedelta(hours=3), now), created_by=author,
                        content_hash=content_hash(addendum_payload(addendum_id=add.public_id,
                                                                   note_id=note.public_id, text=add.text,
                                                                   note_hash=digest))))
                    counts["addenda"] += 1
        Note.objects.bulk_create(notes, batch_size=1000)
        ParticipantNote.objects.bulk_create(parts, batch_size=2000)
        Addendum.objects.bulk_create(addenda, batch_size=1000)
        for sig in sigs:  # FKs were assigned before the parents had primary keys
            sig.note_id = sig.note.pk
            if sig.addendum is not None:
                sig.addendum_id = sig.addendum.pk
        Signature.objects.bulk_create(sigs, batch_size=2000)
    # A few private psychotherapy notes (author-only) for therapists with individual sessions.
    private = []
    for s in [x for x in sessions if not x.is_group][-40:]:
        if rng.random() < 0.15:
            private.append(PrivateNote(
                public_id=_uuid(rng), author=s.facilitator, episode=s.episode, session=s, created_by=s.facilitator,
                kind=PrivateNoteKind.SUD_COUNSELING if (s.program_id and s.program.is_part2)
                else PrivateNoteKind.PSYCHOTHERAPY,
                text="Process notes: themes of shame around relapse; explore family-of-origin next time."))
    PrivateNote.objects.bulk_create(private)
    counts["private"] = len(private)
    ctx.extra["documentation_counts"] = dict(counts)
    ctx.say(
        "Documentation: {signed} signed on time, {late} late, {draft} drafts, {missing} sessions without a note, "
        "{awaiting_cosign} awaiting co-signature ({cosigned} co-signed), {addenda} addenda, {private} private notes."
        .format(
            **{k: counts.get(k, 0) for k in ("signed", "late", "draft", "missing", "awaiting_cosign", "cosigned",
                                             "addenda", "private")})
    )
