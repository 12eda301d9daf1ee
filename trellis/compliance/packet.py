"""The utilization-review (UR) packet: what a payer's reviewer asks for at a concurrent review, for one episode
and a date range, as a PDF — and, because it leaves the program, a disclosure.

A disclosure needs a release in force that names the recipient (a 42 CFR Part 2 consent when Part 2 applies;
42 CFR 2.31/2.33, 45 CFR 164.508); it is recorded in the accounting of disclosures (42 CFR 2.25, 45 CFR
164.528) by the consents app and audited as an export. Without a covering release nothing is generated.
Disclosures for payment need only the minimum necessary (45 CFR 164.502(b)): the packet holds the
individualized part of the last N notes, never another attendee's section or a private note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from trellis.audit.services import AuditAction, record
from trellis.careplans.models import PlanStatus, TreatmentPlan
from trellis.careplans.selectors import plan_tree
from trellis.compliance import engine_adapter
from trellis.compliance.pdf import Block, Document, render
from trellis.compliance.weekstatus import EpisodeWeek
from trellis.consents.models import Consent, DisclosureMethod
from trellis.consents.services import check_sections, disclose, notice_for, require_release
from trellis.core import formats
from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.coverage.models import Authorization, Coverage
from trellis.documentation.note_schema import Scope, display_sections
from trellis.documentation.selectors import patient_notes
from trellis.episodes.models import Diagnosis, Episode
from trellis.episodes.services import part2_applies
from trellis.episodes.summary import consent_scope_lines
from trellis.referrals.models import LevelOfCareDetermination, SuicideRiskScreen

MAX_RANGE_DAYS = 92  # a review covers days or weeks; a quarter bounds the work and the disclosure
MAX_NOTES = 30
DOCUMENT_TITLE = "Utilization review packet"


@dataclass(frozen=True)
class PacketRequest:
    episode: Episode
    start: date
    end: date
    notes: int
    recipient_name: str


def validate_request(*, episode: Episode, start: date, end: date, notes: int, recipient_name: str) -> PacketRequest:
    if end < start:
        raise DomainError("The end date is before the start date.", field="end")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise DomainError(f"Choose at most {MAX_RANGE_DAYS} days.", field="end")
    if start > today_in(episode.program.site.zone):
        raise DomainError("The start date is in the future.", field="start")
    if not 0 <= notes <= MAX_NOTES:
        raise DomainError(f"Include between 0 and {MAX_NOTES} notes.", field="notes")
    if not recipient_name.strip():
        raise DomainError("Name the recipient exactly as written on the patient's release.", field="recipient_name")
    return PacketRequest(episode, start, end, notes, recipient_name.strip())


def hours_by_week(episode: Episode, start: date, end: date) -> list[EpisodeWeek]:
    return engine_adapter.weeks_between([episode], start, end).get(episode.pk, [])


def _plan(episode: Episode) -> TreatmentPlan | None:
    plans = list(TreatmentPlan.objects.filter(episode=episode).order_by("-version"))
    return next((p for p in plans if p.status == PlanStatus.ACTIVE), plans[0] if plans else None)


def build_document(req: PacketRequest, *, printed_by: Any, part2: bool, notice: str = "",
                   consent: Consent | None = None) -> Document:
    episode = req.episode
    patient = episode.patient
    site = episode.program.site
    coverage = (Coverage.objects.filter(patient=patient).active_on(req.end).select_related("payer")
                .order_by("order").first())
    blocks = [Block("Patient", pairs=[
        ("Name", patient.legal_name), ("Date of birth", patient.date_of_birth.isoformat()), ("MRN", patient.mrn),
        ("Sex at birth", patient.get_sex_at_birth_display()),
        ("Coverage", f"{coverage.payer.name}, member id {coverage.member_id}" if coverage else "None on file"),
    ])]
    auth = (Authorization.objects.filter(episode=episode, start_on__lte=req.end, end_on__gte=req.start)
            .order_by("-end_on").first())
    blocks.append(Block("Episode of care", pairs=[
        ("Program", f"{episode.program.name} ({site.name})"),
        ("Track", episode.track.name if episode.track_id else "—"),
        ("Admitted", episode.admitted_on.isoformat()),
        ("Level of care", f"recommended {episode.get_recommended_level_display()}; authorized "
                          f"{episode.get_authorized_level_display() if episode.authorized_level else 'not recorded'}"),
        ("Authorization", f"{auth.number}: {auth.units_authorized} {auth.get_unit_kind_display().lower()}, "
                          f"{auth.start_on.isoformat()} to {auth.end_on.isoformat()}" if auth else "None in this period"),
        ("Primary clinician", episode.primary_clinician.display_name if episode.primary_clinician_id else "—"),
        ("Period of this packet", f"{req.start.isoformat()} to {req.end.isoformat()}"),
    ]))
    dx = Diagnosis.objects.filter(episode=episode, entered_in_error=False).order_by("stage", "rank", "id")
    blocks.append(Block("Diagnoses (ICD-10-CM)", header=["Code", "Description", "Rank", "Stage"],
                        rows=[[d.code, d.description, d.get_rank_display(), d.get_stage_display()] for d in dx],
                        col_widths=[0.9, 3.9, 1.0, 1.3]))
    det = (LevelOfCareDetermination.objects.filter(patient=patient, program=episode.program)
           .order_by("-determined_at").first())
    blocks.append(Block("Level-of-care rationale", lines=[
        det.rationale or "—",
        f"Criteria met: {'yes' if det.criteria_met else 'no'}"
        + (f"; unmet: {', '.join(str(u) for u in det.unmet)}" if det.unmet else "")
        + (f". Override: {det.override_reason}" if det.override_reason else ""),
    ] if det else ["No level-of-care determination recorded."]))
    plan = _plan(episode)
    plan_rows = []
    if plan is not None:
        for problem in plan_tree(plan):
            for goal in problem.goals.all():
                for obj in goal.objectives.all():
                    plan_rows.append([problem.statement, goal.statement, obj.statement, obj.get_status_display(),
                                      obj.target_date.isoformat()])
    blocks.append(Block(
        "Current treatment plan" + (f" (version {plan.version}, {plan.get_status_display().lower()}, effective "
                                    f"{plan.effective_on.isoformat()})" if plan else ""),
        header=["Problem", "Goal", "Objective", "Status", "Target"], rows=plan_rows,
        col_widths=[1.6, 1.6, 2.2, 0.8, 0.8]))
    weeks = hours_by_week(episode, req.start, req.end)
    blocks.append(Block("Counted hours by week against the requirement", header=[
        "Week of", "Counted", "Still scheduled", "Required", "Status", "Why"],
        rows=[[w.monday.isoformat(), f"{w.counted_minutes / 60:.1f} h", f"{w.remaining_minutes / 60:.1f} h",
               f"{(w.required_minutes or 0) / 60:.1f} h" if w.required_minutes else "—", w.status_label, w.reason]
              for w in weeks],
        col_widths=[0.9, 0.8, 0.9, 0.8, 0.9, 2.7],
        lines=[f"Rule: {weeks[0].citation}"] if weeks and weeks[0].citation else []))
    zone = site.zone
    screens = SuicideRiskScreen.objects.filter(patient=patient).order_by("-administered_at")[:20]
    in_range = [s for s in screens if req.start <= timezone.localtime(s.administered_at, zone).date() <= req.end]
    blocks.append(Block("Risk events (C-SSRS screens and risk ratings)", header=["Date", "Instrument", "Risk", "Safety plan"],
                        rows=[[timezone.localtime(s.administered_at, zone).date().isoformat(), s.instrument_version,
                               s.get_risk_display(), "required" if s.requires_safety_plan else "—"] for s in in_range],
                        col_widths=[1.0, 2.8, 1.6, 1.6]))
    notes = patient_notes(patient=patient, start=req.start, end=req.end, limit=req.notes) if req.notes else []
    for cn in notes:
        if cn.participant.episode_id != episode.pk:
            continue
        sections = display_sections(cn.schema, cn.participant.content, scope=Scope.PARTICIPANT,
                                    objective_labels=cn.objectives)
        when = timezone.localtime(cn.session.starts_at, cn.session.site.zone)
        # The section title only when the template has several individualized sections (keeps labels short).
        pairs = [(f"{s.title}: {r.label}" if len(sections) > 1 else r.label, r.text or "—")
                 for s in sections for r in s.rows]
        signer = cn.note.signed_by.display_name if cn.note.signed_by_id else "—"
        blocks.append(Block(f"Note {when.date().isoformat()} – {cn.session.title} (signed by {signer})",
                            pairs=pairs or [("Individualized section", "—")]))
    if req.notes and not notes:
        blocks.append(Block("Notes", lines=["No signed notes in this period."]))
    return Document(
        title=f"{DOCUMENT_TITLE}, {req.start.isoformat()} to {req.end.isoformat()}",
        organization=getattr(patient.organization, "name", ""), site=site.name,
        printed_by=getattr(printed_by, "display_name", ""),
        printed_at=formats.stamp(timezone.now(), zone),
        blocks=blocks, part2=part2, notice=notice,
        consent_scope=consent_scope_lines(consent) if consent is not None else (),
    )


# The categories of information the packet carries (42 CFR 2.31(a)(3), 2.13(a): a disclosure holds only what the
# consent covers): diagnoses; attendance and counted hours; the plan and the notes' individualized sections, which
# record progress against it; C-SSRS and risk events.
PACKET_SECTIONS = ["diagnoses", "attendance", "plan_progress", "risk"]


def export_ur_packet(*, episode: Episode, start: date, end: date, notes: int, recipient_name: str,
                     exported_by: Any, compress: bool = True) -> tuple[bytes, Any]:
    """The packet as a PDF, disclosed to `recipient_name` under the release in force that names them. Refused
    (DomainError, code "no_release") without one: nothing is generated, recorded or sent."""
    req = validate_request(episode=episode, start=start, end=end, notes=notes, recipient_name=recipient_name)
    applies = part2_applies(episode)
    day = today_in(episode.program.site.zone)
    # Utilization review is payment (45 CFR 164.501): a Part 2 TPO consent naming health plans covers it too.
    consent = require_release(patient=episode.patient, part2_applies=applies, on=day,
                              recipient_name=req.recipient_name, tpo_purpose="payment")
    check_sections(consent, PACKET_SECTIONS)  # refused before anything is generated
    notice, _version = notice_for(part2_applies=applies)
    pdf = render(build_document(req, printed_by=exported_by, part2=applies, notice=notice, consent=consent),
                 compress=compress)
    with transaction.atomic():
        disclosure = _record(episode, req, consent, applies, pdf, exported_by, day)
    return pdf, disclosure


def _record(episode: Episode, req: PacketRequest, consent: Consent, applies: bool, pdf: bytes, exported_by: Any,
            day: date) -> Any:
    disclosure = disclose(
        patient=episode.patient, site=episode.program.site, purpose=consent.purpose or "Utilization review (payment)",
        information=(f"UR packet {req.start.isoformat()} to {req.end.isoformat()}: demographics, diagnoses, "
                     f"level-of-care rationale, treatment plan, counted hours by week, risk events, last "
                     f"{req.notes} notes (individualized sections)"),
        method=DisclosureMethod.EXPORT, document_title=DOCUMENT_TITLE, disclosed_by=exported_by,
        part2_applies=applies, recipient_name=req.recipient_name, consent=consent, episode=episode, content=pdf,
        on=day, sections=PACKET_SECTIONS,
    )
    record(action=AuditAction.EXPORT, obj=episode, patient=episode.patient, site=episode.program.site,
           actor=exported_by, detail={"document": "ur_packet", "disclosure": str(disclosure.public_id),
                                      "start": req.start.isoformat(), "end": req.end.isoformat(),
                                      "notes": req.notes, "part2": applies})
    return disclosure
