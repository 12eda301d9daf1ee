"""Audit readiness: every billable day of every patient at a site (optionally one program) in a date range, with
the evidence an auditor asks for — counted hours, the signed notes behind them, the plan and the physician
certification in force, the authorization covering the day — and pass/fail per requirement with the reason.

A fixed number of queries whatever the number of patients or days (one per kind of evidence); the range is
capped so that the work stays bounded.

Requirements checked per day and their sources:
- counted minutes for a billable day: the weekly-hours engine's per-day rule (the requirement set's citation);
- a signed note for every attended service that day: CMS Medicare Benefit Policy Manual Ch. 6 §70.3 and
  42 CFR 410.43 (services must be documented in the medical record), and payer documentation standards;
- a treatment plan in force (signed, effective on or before the day; in a certified program co-signed by the
  physician): 42 CFR 424.24(e)(1)(ii), (e)(2)(i) - the rule of trellis.careplans.in_force, shared with the plan
  pages and the billable-service selector;
- a physician certification in force for levels that require one (42 CFR 424.24(e), trellis.careplans.schedule);
- an authorization covering the day when the patient's payer requires prior authorization (payer contract).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Q

from trellis.accounts.capabilities import Cap
from trellis.attendance.minutes import ATTENDED_STATUSES
from trellis.attendance.models import Attendance
from trellis.careplans import in_force
from trellis.careplans.models import PhysicianCertification, PlanStatus, TreatmentPlan
from trellis.careplans.schedule import next_certification_due, rule_for_level
from trellis.compliance import engine_adapter
from trellis.compliance.pdf import Block, Document
from trellis.core.clock import local_date
from trellis.coverage.models import Authorization, Coverage
from trellis.documentation.models import NoteStatus, ParticipantNote
from trellis.episodes.models import Episode, EpisodeStatus

MAX_RANGE_DAYS = 62
PASS, FAIL, NA = "pass", "fail", "n/a"
REQUIREMENTS = (
    ("minutes", "Counted minutes"),
    ("notes", "Signed notes"),
    ("plan", "Plan in force"),
    ("certification", "Certification"),
    ("authorization", "Authorization"),
)


@dataclass(frozen=True)
class Check:
    result: str  # pass | fail | n/a
    reason: str


@dataclass
class DayRow:
    episode: Episode
    day: date
    counted_minutes: int
    billable: bool
    notes: list[str]  # "Process group (signed 2026-11-23)"
    plan: str
    certification: str
    authorization: str
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.result != FAIL for c in self.checks.values())

    @property
    def failures(self) -> list[str]:
        return [f"{label}: {self.checks[key].reason}" for key, label in REQUIREMENTS
                if key in self.checks and self.checks[key].result == FAIL]


@dataclass
class Report:
    site: Any
    program: Any
    start: date
    end: date
    rows: list[DayRow]

    @property
    def billable(self) -> int:
        return sum(1 for r in self.rows if r.billable)

    @property
    def summary(self) -> str:
        n = len(self.rows)
        return (f"{n} day{'s' if n != 1 else ''} with attended services ({self.billable} billable), "
                f"{self.failed} failing")

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if not r.passed)

    @property
    def patients(self) -> list[Any]:
        return list({r.episode.patient_id: r.episode.patient for r in self.rows}.values())


def episodes_in_range(user: Any, *, site: Any, program: Any, start: date, end: date) -> list[Episode]:
    qs = (Episode.objects.restrict(user, Cap.COMPLIANCE_AUDIT_REPORT).filter(program__site=site)
          .exclude(status=EpisodeStatus.PLANNED).filter(admitted_on__lte=end)
          .filter(Q(discharged_on__isnull=True) | Q(discharged_on__gte=start)))
    if program is not None:
        qs = qs.filter(program=program)
    return list(qs.select_related("patient", "program__site").order_by("patient__legal_last_name", "pk"))


def build(user: Any, *, site: Any, program: Any, start: date, end: date) -> Report:
    episodes = episodes_in_range(user, site=site, program=program, start=start, end=end)
    ids = [e.pk for e in episodes]
    days = engine_adapter.days(episodes, start, end)
    # Attended services per episode-day, and the signed participant sections that document them.
    attended: dict[tuple[int, date], set[int]] = defaultdict(set)
    for episode_id, session_id, day in (Attendance.objects.filter(
            episode_id__in=ids, session__local_date__gte=start, session__local_date__lte=end,
            status__in=list(ATTENDED_STATUSES)).values_list("episode_id", "session_id", "session__local_date")):
        attended[(episode_id, day)].add(session_id)
    signed: dict[tuple[int, date], dict[int, str]] = defaultdict(dict)
    for episode_id, session_id, day, title, signed_at in (ParticipantNote.objects.filter(
            episode_id__in=ids, note__session__local_date__gte=start, note__session__local_date__lte=end,
            note__status__in=[NoteStatus.AWAITING_COSIGN, NoteStatus.COMPLETE])
            .values_list("episode_id", "note__session_id", "note__session__local_date", "note__session__title",
                         "note__signed_at")):
        signed[(episode_id, day)][session_id] = f"{title} (signed {signed_at.date().isoformat()})"
    plans: dict[int, list[TreatmentPlan]] = defaultdict(list)
    for p in (TreatmentPlan.objects.filter(episode_id__in=ids, clinician_signed_at__isnull=False,
                                           effective_on__lte=end)
              .exclude(status=PlanStatus.DRAFT).order_by("effective_on", "version")):
        plans[p.episode_id].append(p)
    certs: dict[int, list[date]] = defaultdict(list)
    for episode_id, signed_on in PhysicianCertification.objects.filter(
            episode_id__in=ids, signed_on__lte=end).values_list("episode_id", "signed_on"):
        certs[episode_id].append(signed_on)
    auths: dict[int, list[Authorization]] = defaultdict(list)
    for a in Authorization.objects.filter(episode_id__in=ids, start_on__lte=end, end_on__gte=start):
        auths[a.episode_id].append(a)
    needs_auth = set(Coverage.objects.filter(patient_id__in={e.patient_id for e in episodes},
                                             payer__requires_authorization=True, effective_from__lte=end)
                     .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=start))
                     .values_list("patient_id", flat=True))
    rows = []
    for e in episodes:
        for d in days.get(e.pk, []):
            if not (d.billable or d.counted_minutes):
                continue
            rows.append(_row(e, d, attended[(e.pk, d.day)], signed[(e.pk, d.day)], plans[e.pk], certs[e.pk],
                             auths[e.pk], e.patient_id in needs_auth))
    return Report(site=site, program=program, start=start, end=end, rows=rows)


def _row(e: Episode, d: Any, attended: set[int], signed: dict[int, str], plans: list[TreatmentPlan],
         certs: list[date], auths: list[Authorization], needs_auth: bool) -> DayRow:
    checks: dict[str, Check] = {}
    checks["minutes"] = Check(PASS, f"{d.counted_minutes} counted minutes") if d.billable else Check(
        FAIL, d.reason or "Not a billable day.")
    missing = sorted(attended - set(signed))
    checks["notes"] = (Check(PASS, f"{len(signed)} signed") if not missing
                       else Check(FAIL, f"{len(missing)} attended service(s) without a signed note"))
    zone = e.program.site.zone
    cosign = in_force.cosign_required(e.program)
    facts = [in_force.VersionFacts(version=p.version, effective_on=p.effective_on, clinician_signed=True,
                                   physician_signed_on=local_date(p.physician_signed_at, zone)
                                   if p.physician_signed_at else None) for p in plans]
    version = in_force.version_on(facts, d.day, cosign_required=cosign)
    plan = next((p for p in plans if p.version == version), None)
    waiting = in_force.awaiting_cosign(facts, d.day, cosign_required=cosign)
    checks["plan"] = (Check(PASS, f"version {plan.version} effective {plan.effective_on.isoformat()}") if plan
                      else Check(FAIL, f"Plan version {', '.join(map(str, waiting))} awaits the physician's "
                                       "co-signature") if waiting
                      else Check(FAIL, "No signed treatment plan in force on this day"))
    rule = rule_for_level(e.program.level_of_care)
    cert_text = "—"
    if rule is None:
        checks["certification"] = Check(NA, "Not required at this level of care")
    else:
        signed_by_day = sorted(c for c in certs if c <= d.day)
        due = next_certification_due(admitted_on=e.admitted_on, rule=rule, signed_on=signed_by_day)
        if signed_by_day and due.due_on >= d.day:
            cert_text = f"signed {signed_by_day[-1].isoformat()}, next due {due.due_on.isoformat()}"
            checks["certification"] = Check(PASS, cert_text)
        else:
            checks["certification"] = Check(FAIL, "No certification in force" + (
                f" (lapsed {due.due_on.isoformat()})" if signed_by_day else "") + f"; {rule.citation}")
    auth = next((a for a in auths if a.covers(d.day)), None)
    if auth is not None:
        checks["authorization"] = Check(PASS, f"{auth.number}")
    elif needs_auth:
        checks["authorization"] = Check(FAIL, "No authorization covers this day")
    else:
        checks["authorization"] = Check(NA, "Payer does not require authorization")
    return DayRow(
        episode=e, day=d.day, counted_minutes=d.counted_minutes, billable=d.billable,
        notes=[signed[k] for k in sorted(signed)],
        plan=checks["plan"].reason if plan else "—", certification=cert_text,
        authorization=auth.number if auth else "—", checks=checks,
    )


CSV_HEADER = ["patient", "mrn", "program", "date", "counted_minutes", "billable", "signed_notes", "plan",
              "certification", "authorization", *[f"{k}_result" for k, _ in REQUIREMENTS], "result", "reasons"]


def to_csv(report: Report) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(CSV_HEADER)
    for r in report.rows:
        w.writerow([
            _safe(r.episode.patient.legal_name), r.episode.patient.mrn, _safe(r.episode.program.name),
            r.day.isoformat(), r.counted_minutes, "yes" if r.billable else "no", _safe("; ".join(r.notes)),
            _safe(r.plan), _safe(r.certification), _safe(r.authorization),
            *[r.checks[k].result for k, _ in REQUIREMENTS], "pass" if r.passed else "fail",
            _safe("; ".join(r.failures)),
        ])
    return buf.getvalue()


def _safe(text: str) -> str:
    """Spreadsheet formula injection: a cell starting with = + - @ is read as a formula (OWASP CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def to_document(report: Report, *, printed_by: str, printed_at: str, organization: str) -> Document:
    rows = [[r.episode.patient.legal_name, r.episode.patient.mrn, r.day.isoformat(), f"{r.counted_minutes}",
             "\n".join(r.notes) or "—", r.plan, r.certification, r.authorization,
             "PASS" if r.passed else "FAIL\n" + "\n".join(r.failures)] for r in report.rows]
    scope = report.program.name if report.program else "all programs"
    return Document(
        title=f"Audit readiness, {report.site.name} ({scope}), {report.start.isoformat()} to {report.end.isoformat()}",
        organization=organization, site=report.site.name, printed_by=printed_by, printed_at=printed_at, wide=True,
        blocks=[Block(report.summary, header=[
            "Patient", "MRN", "Date", "Counted min", "Signed notes", "Plan in force", "Certification",
            "Authorization", "Result"], rows=rows, col_widths=[1.2, 0.7, 0.75, 0.6, 2.1, 1.3, 1.2, 0.8, 1.15])],
        part2=any(r.episode.program.is_part2 for r in report.rows),
    )


def default_range(today: date) -> tuple[date, date]:
    """The last complete ISO week."""
    monday = today - timedelta(days=today.isoweekday() - 1 + 7)
    return monday, monday + timedelta(days=6)
