"""Is a service billable? One selector for the billing work: a service (one patient's attendance at a session)
is billable only when every rule below holds, and each failure carries its reason and source.

Rules (each is data: key, source; the pure `decide` function applies them to plain facts):
* a signed note covers the service, co-signed where the author's notes need co-signature;
* a signed treatment plan is in force on the service date - in a certified program only once a physician has
  co-signed it (trellis.careplans.in_force, the one rule the plan pages use too);
* for a program that requires physician certification, a current (re)certification covers the date;
* the note's author (or, without a note, the facilitator) holds a licence unexpired on the date.

Billing reads note *status* only, never content. Lives at the careplans/documentation layer so billing can import
it; it reads careplans' and documentation's models (same layer) and accounts' credentials (below).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from trellis.accounts.models import Credential
from trellis.attendance.models import Attendance
from trellis.careplans import in_force, schedule
from trellis.careplans.models import PhysicianCertification, TreatmentPlan
from trellis.careplans.services import program_certification_rules
from trellis.core.clock import local_date
from trellis.documentation.models import Note, NoteStatus, ParticipantNote

RULES: dict[str, str] = {
    # Medicare Program Integrity Manual (Pub. 100-08) ch. 3 §3.3.2.4: services must be authenticated by the
    # author's signature; an unsigned note does not support the claim.
    "signed_note": "Medicare Program Integrity Manual ch. 3 §3.3.2.4 (signature requirements)",
    # Pre-licensure clinicians bill under supervision: their notes need the supervisor's co-signature (state
    # licensure board rules and payer policy; program policy records who needs it on the staff profile).
    "cosigned_note": "State licensure supervision rules and payer policy (StaffProfile.requires_cosign)",
    # 42 CFR 424.24(e)(1)(ii) and 410.43(a)(3): PHP/IOP services are furnished under an individualized written
    # plan of treatment; the organization requires a signed plan in force for every billed service.
    "plan_in_force": "42 CFR 424.24(e)(1)(ii); 42 CFR 410.43(a)(3) (individualized written plan of treatment)",
    # 42 CFR 424.24(e)(2)(i): in a certified program the plan is established and reviewed by a physician, so a
    # version the physician has not co-signed is not in force (trellis.careplans.in_force).
    "plan_physician_cosign": in_force.COSIGN_SOURCE,
    "certification": "42 CFR 424.24(e)(2)-(3) (physician certification and recertification)",
    # 42 CFR 424.516(a)(2): providers and suppliers must meet state licensure requirements for the services billed.
    "licence": "42 CFR 424.516(a)(2) (licensure); state practice acts",
}


@dataclass(frozen=True, slots=True)
class Failure:
    rule: str
    reason: str

    @property
    def source(self) -> str:
        return RULES[self.rule]

    def __str__(self) -> str:
        return f"{self.reason} ({self.source})"


@dataclass(frozen=True, slots=True)
class Billability:
    attendance_id: int
    service_date: dt.date
    failures: tuple[Failure, ...] = ()

    @property
    def billable(self) -> bool:
        return not self.failures

    @property
    def reasons(self) -> list[str]:
        return [str(f) for f in self.failures]


@dataclass(frozen=True, slots=True)
class ServiceFacts:
    """Plain facts about one service, enough to decide (no ORM)."""

    service_date: dt.date
    note_status: str | None  # None: no note covers the service
    cosign_required: bool = False
    plans: Sequence[tuple[dt.date, dt.date | None]] = ()  # in-force windows: (start, end exclusive or None)
    plans_awaiting_cosign: Sequence[int] = ()  # versions effective by the date that await the physician
    certification_rule: schedule.CertificationRule | None = None
    admitted_on: dt.date | None = None
    certifications: Sequence[dt.date] = ()
    licences_expire: Sequence[dt.date] = ()
    author_label: str = "the author"
    extra: dict[str, Any] = field(default_factory=dict)


def decide(facts: ServiceFacts) -> tuple[Failure, ...]:
    day = facts.service_date
    out: list[Failure] = []
    if facts.note_status is None:
        out.append(Failure("signed_note", "No note documents this service."))
    elif facts.note_status == NoteStatus.DRAFT:
        out.append(Failure("signed_note", "The note is not signed."))
    elif facts.note_status == NoteStatus.AWAITING_COSIGN or (
            facts.cosign_required and facts.note_status != NoteStatus.COMPLETE):
        out.append(Failure("cosigned_note", "The note awaits the supervisor's co-signature."))
    if not any(start <= day and (end is None or day < end) for start, end in facts.plans):
        if facts.plans_awaiting_cosign:
            versions = ", ".join(str(v) for v in facts.plans_awaiting_cosign)
            out.append(Failure("plan_physician_cosign", f"The treatment plan (version {versions}) effective on "
                                                        f"{day.isoformat()} awaits the physician's co-signature."))
        else:
            out.append(Failure("plan_in_force", f"No signed treatment plan was in force on {day.isoformat()}."))
    rule = facts.certification_rule
    if rule is not None and facts.admitted_on is not None:
        signed = sorted(d for d in facts.certifications if d <= day)
        if not signed:
            out.append(Failure("certification", f"No physician certification signed on or before "
                                                f"{day.isoformat()}."))
        else:
            due = schedule.next_certification_due(admitted_on=facts.admitted_on, rule=rule, signed_on=signed)
            if day >= due.due_on:
                out.append(Failure("certification", f"The recertification due {due.due_on.isoformat()} was not "
                                                    f"signed by {day.isoformat()}."))
    if not any(expires >= day for expires in facts.licences_expire):
        out.append(Failure("licence", f"{facts.author_label.capitalize()} had no licence unexpired on "
                                      f"{day.isoformat()}."))
    return tuple(out)


def billability(attendances: Iterable[Attendance]) -> dict[int, Billability]:
    """Per attendance id, whether the service is billable and why not. Queries are bounded (one per table)
    whatever the number of services."""
    rows = list(attendances)
    if not rows:
        return {}
    ids = [a.pk for a in rows]
    att = {a.pk: a for a in Attendance.objects.filter(pk__in=ids).select_related(
        "session__site", "session__facilitator", "episode__program")}
    # The note covering each service: its participant section (group or individual note).
    notes: dict[int, Note] = {}
    for pn in ParticipantNote.objects.filter(attendance_id__in=ids).select_related("note"):
        best = notes.get(pn.attendance_id)
        if best is None or _rank(pn.note.status) > _rank(best.status):
            notes[pn.attendance_id] = pn.note
    missing = [a for a in att.values() if a.pk not in notes]
    if missing:
        by_pair = {(n.session_id, n.episode_id): n for n in Note.objects.filter(
            Q(session_id__in={a.session_id for a in missing}), episode__isnull=False)}
        for a in missing:
            note = by_pair.get((a.session_id, a.episode_id))
            if note is not None:
                notes[a.pk] = note
    episode_ids = {a.episode_id for a in att.values()}
    # Which version is in force on each date: trellis.careplans.in_force (a version stays in force until the next
    # one is; in a certified program a version counts only once the physician co-signed it).
    versions: dict[int, list[in_force.VersionFacts]] = defaultdict(list)
    zones = {a.episode_id: a.session.site.zone for a in att.values()}
    for episode_id, version, effective_on, cosigned_at in TreatmentPlan.objects.filter(
            episode_id__in=episode_ids, clinician_signed_at__isnull=False).order_by("version").values_list(
            "episode_id", "version", "effective_on", "physician_signed_at"):
        versions[episode_id].append(in_force.VersionFacts(
            version=version, effective_on=effective_on, clinician_signed=True,
            physician_signed_on=local_date(cosigned_at, zones[episode_id]) if cosigned_at else None))
    certs: dict[int, list[dt.date]] = defaultdict(list)
    for episode_id, signed_on in PhysicianCertification.objects.filter(episode_id__in=episode_ids).values_list(
            "episode_id", "signed_on"):
        certs[episode_id].append(signed_on)
    authors = {(notes[a.pk].author_id if a.pk in notes else a.session.facilitator_id) for a in att.values()}
    licences: dict[int, list[dt.date]] = defaultdict(list)
    for user_id, expires in Credential.objects.filter(user_id__in=authors).values_list("user_id", "expires_on"):
        licences[user_id].append(expires)
    rules_by_program = program_certification_rules({a.episode.program for a in att.values()})
    out: dict[int, Billability] = {}
    for a in att.values():
        program = a.episode.program
        note = notes.get(a.pk)
        author_id = note.author_id if note else a.session.facilitator_id
        cosign = in_force.cosign_required(program)
        day = a.session.local_date
        facts = ServiceFacts(
            service_date=a.session.local_date, note_status=note.status if note else None,
            cosign_required=bool(note and note.cosign_required),
            plans=[(w.start, w.end) for w in in_force.windows(versions[a.episode_id], cosign_required=cosign)],
            plans_awaiting_cosign=in_force.awaiting_cosign(versions[a.episode_id], day, cosign_required=cosign),
            certification_rule=rules_by_program[program.pk],
            admitted_on=a.episode.admitted_on, certifications=certs.get(a.episode_id, []),
            licences_expire=licences.get(author_id, []),
            author_label="the note's author" if note else "the facilitator",
        )
        out[a.pk] = Billability(attendance_id=a.pk, service_date=facts.service_date, failures=decide(facts))
    return out


def billable_service(attendance: Attendance) -> Billability:
    return billability([attendance])[attendance.pk]


_RANKS = {NoteStatus.COMPLETE: 3, NoteStatus.AWAITING_COSIGN: 2, NoteStatus.DRAFT: 1}


def _rank(status: str) -> int:
    return _RANKS.get(status, 0)
