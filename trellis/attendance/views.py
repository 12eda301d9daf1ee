"""Attendance pages: the whole-roster marking screen (htmx), record corrections and unlocks, the patient's
"Schedule & hours" chart tab and the per-track treatment-hours ledger."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, decide, sites_with
from trellis.attendance import selectors, services
from trellis.attendance.forms import (
    CorrectionForm,
    UnlockForm,
    local_moment,
    parse_time,
    read_sheet,
    row_fingerprint,
)
from trellis.attendance.models import Attendance, AttendanceStatus
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import ConflictError, DomainError
from trellis.core.forms import apply_domain_error
from trellis.core.registry import hours_badges, session_panels
from trellis.episodes.models import Episode
from trellis.episodes.selectors import active_on
from trellis.patients.models import Patient
from trellis.patients.views import chart_context
from trellis.programs.models import AttendedModality, Track
from trellis.scheduling.models import Session
from trellis.scheduling.policies import can_see_patient_names, can_unlock_attendance
from trellis.scheduling.selectors import CalendarFilters, calendar, sessions_for_episodes


def _site_today(site: Any) -> date:
    return timezone.now().astimezone(site.zone).date()


def _week_of(request: HttpRequest, default: date) -> date:
    try:
        day = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        if request.GET.get("week"):
            messages.error(request, "That week could not be read (use YYYY-MM-DD); showing this week instead.")
        day = default
    return day - timedelta(days=day.weekday())


# --------------------------------------------------------------------------------------------------
# Marking
# --------------------------------------------------------------------------------------------------


@capability_required(Cap.ATTENDANCE_MARK)
def index(request: HttpRequest) -> HttpResponse:
    """Today's sessions at my sites, to pick one to mark."""
    sites = sites_with(request.user, Cap.ATTENDANCE_MARK)
    active = getattr(request, "active_site", None)
    site = active if active is not None and any(s.pk == active.pk for s in sites) else None
    today = _site_today(site or sites[0]) if sites else timezone.now().date()
    if request.GET.get("date"):
        try:
            today = date.fromisoformat(request.GET["date"])
        except ValueError:
            messages.error(request, "That date was not valid; showing today.")
    (day,) = calendar(request.user, CalendarFilters(start=today, end=today, site=site, include_cancelled=False))
    marked = dict(
        Attendance.objects.filter(session__in=[e.session.pk for e in day.entries]).values("session_id")
        .annotate(n=Count("id")).values_list("session_id", "n")
    )
    for entry in day.entries:
        entry.marked = marked.get(entry.session.pk, 0)
    return render(request, "attendance/index.html", {"day": day,
                                                     "prev": today - timedelta(days=1),
                                                     "next": today + timedelta(days=1)})


def _session(request: HttpRequest, session_id: Any) -> Session:
    return get_scoped_or_404(
        request, Session.objects.select_related("site", "facilitator", "co_facilitator", "room", "episode__patient"),
        session_id, capability=Cap.ATTENDANCE_MARK,
    )


def _week_minutes(sheet: selectors.AttendanceSheet) -> dict[int, Any]:
    """This ISO week's ledger per roster episode (site-local week of the session)."""
    monday = sheet.session.local_date - timedelta(days=sheet.session.local_date.weekday())
    episodes = [r.episode for r in sheet.rows]
    ledgers = selectors.treatment_hours_for_episodes(episodes, monday, monday + timedelta(days=6))
    return {pk: ledger.weeks[0] if ledger.weeks else None for pk, ledger in ledgers.items()}


def _sheet_context(request: HttpRequest, session: Session, **extra: Any) -> dict[str, Any]:
    sheet = selectors.attendance_sheet(session)
    weeks = _week_minutes(sheet)
    # The counted-hours bar of each patient's week, from whichever app provides it (compliance): one batch.
    badges = hours_badges([r.episode for r in sheet.rows], session.local_date)
    site = session.site
    rows = []
    posted = extra.pop("posted", {})
    errors = extra.pop("row_errors", {})
    conflicted = extra.pop("conflicted", set())
    for r in sheet.rows:
        a = r.attendance
        pid = str(r.episode.public_id)
        shown = {
            "status": a.status if a else "",
            "arrived": f"{a.arrived_at.astimezone(site.zone):%H:%M}" if a and a.arrived_at else "",
            "departed": f"{a.departed_at.astimezone(site.zone):%H:%M}" if a and a.departed_at else "",
            "modality": a.modality if a else "",
            "reason": a.absence_reason if a else "",
        }
        p = None if r.episode.pk in conflicted else posted.get(pid)
        # The baseline travels with the form: after a refused save it stays what the user first saw, so their
        # own edits still count as edits; a conflicted row takes the current values as its new baseline.
        baseline = (
            {"orig": p.original, "version": p.version}
            if p is not None and p.version is not None
            else {"orig": row_fingerprint(**shown), "version": a.version if a else 0}
        )
        rows.append({
            "pid": pid,
            "row": r,
            **(shown if p is None else {"status": p.status, "arrived": p.arrived, "departed": p.departed,
                                        "modality": p.modality, "reason": p.reason}),
            **baseline,
            "locked": bool(a and a.is_locked),
            "error": errors.get(r.episode.pk),
            "week": weeks.get(r.episode.pk),
            "hours_badge": badges.get(r.episode.pk, ""),
            # Unique accessible names per control ("Arrived, Grace Roberts"): WCAG 2.4.6 / 4.1.2.
            "name": f"{r.patient.legal_first_name} {r.patient.legal_last_name}",
        })
    attended = {s.value for s in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)}
    marked = sum(1 for row in rows if row["status"])
    context = {
        "session": session,
        "sheet": sheet,
        "rows": rows,
        "statuses": AttendanceStatus.choices,
        "modalities": AttendedModality.choices,
        "needs_reason": session.local_date < _site_today(site) and sheet.marked > 0,
        "can_unlock": can_unlock_attendance(request.user, site),
        "started": session.starts_at <= timezone.now(),
        "summary": {"total": len(rows), "marked": marked, "unmarked": len(rows) - marked,
                    "present": sum(1 for row in rows if row["status"] in attended)},
        "clock": _clock(session),
        "reason_invalid": any(e.field == "correction_reason" for e in errors.values()),
    }
    context.update(extra)
    return context


def _clock(session: Session) -> dict[str, int]:
    """Session start, end and now as site-local minutes from the session day's midnight, for sheet.js.

    The script mirrors ``attendance.minutes`` on typed HH:MM values without knowing time zones: wall-clock
    minutes of the session's own day (a session past midnight ends after 1440)."""
    zone = session.site.zone
    day = session.local_date

    def minutes(moment: Any) -> int:
        local = moment.astimezone(zone)
        return (local.date() - day).days * 1440 + local.hour * 60 + local.minute

    return {"start": minutes(session.starts_at), "end": minutes(session.ends_at), "now": minutes(timezone.now())}


def _session_panels(request: HttpRequest, session: Session) -> list[dict[str, Any]]:
    """Cards other apps add to the session's attendance screen (e.g. who is waiting in the video lobby)."""
    panels = []
    for panel in session_panels():
        if panel.capability and not decide(request.user, panel.capability, session.site, to="see this panel"):
            continue
        context = panel.provider(request.user, session)
        if context is not None:
            panels.append({"key": panel.key, "template": panel.template_name, **context})
    return panels


@capability_required(Cap.ATTENDANCE_MARK)
def mark(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id)
    template = "attendance/_sheet.html" if request.htmx else "attendance/mark.html"
    if request.method != "POST":
        record(action=AuditAction.READ, obj=session, site=session.site,
               detail={"view": "attendance_sheet"})
        return render(request, "attendance/mark.html", _sheet_context(request, session,
                                                                      panels=_session_panels(request, session)))

    sheet = selectors.attendance_sheet(session)
    by_pid = {str(r.episode.public_id): r.episode for r in sheet.rows}
    inputs = read_sheet(request.POST, list(by_pid))
    if request.POST.get("action") == "all_present":
        for row in inputs:
            if not row.status:
                row.status = AttendanceStatus.PRESENT
    entries: list[services.MarkEntry] = []
    row_errors: dict[int, services.RowError] = {}
    for row in inputs:
        if not row.status or (row.version is not None and not row.touched):
            continue  # blank, or exactly as the sheet showed it: this user did not change the row
        episode = by_pid[row.episode_public_id]
        if row.status not in AttendanceStatus.values:
            row_errors[episode.pk] = services.RowError("status", "Choose a status from the list.")
            continue
        try:
            arrived = local_moment(session, parse_time(row.arrived))
            departed = local_moment(session, parse_time(row.departed))
        except ValueError:
            row_errors[episode.pk] = services.RowError("arrived_at", "Enter times as HH:MM.")
            continue
        entries.append(services.MarkEntry(episode.pk, row.status, arrived, departed, row.modality, row.reason,
                                          expected_version=row.version))
    message = None
    conflicted: set[int] = set()
    if not entries and not row_errors:
        message = (
            "No changes to save."
            if any(row.status for row in inputs)
            else "Choose a status for at least one patient, or use “Mark all present”."
        )
    elif not row_errors:
        try:
            saved = services.mark_attendance(session=session, entries=entries, user=request.user,
                                             correction_reason=request.POST.get("correction_reason", ""))
        except services.AttendanceConflictError as conflict:
            row_errors, message, conflicted = conflict.errors, conflict.message, set(conflict.errors)
        except services.AttendanceBatchError as batch:
            row_errors = batch.errors
            message = batch.message
        except DomainError as error:
            message = error.message
        else:
            if not request.htmx:
                messages.success(request, f"Attendance saved for {len(saved)} patient{'s' if len(saved) != 1 else ''}.")
                return redirect("attendance:mark", session_id=session.public_id)
            context = _sheet_context(request, session, saved_message=(
                f"Saved {len(saved)} record{'s' if len(saved) != 1 else ''}." if saved else "No changes to save."))
            return render(request, template, context)
    else:
        message = "Fix the highlighted rows; nothing was saved."
    posted = {row.episode_public_id: row for row in inputs}
    context = _sheet_context(request, session, posted=posted, row_errors=row_errors, error_message=message,
                             conflicted=conflicted, correction_reason=request.POST.get("correction_reason", ""))
    # htmx swaps only 2xx responses by default; a full page answers 400 (409 for a conflict) so the failure is
    # visible to clients.
    status = 200 if request.htmx else (409 if conflicted else 400)
    return render(request, template, context, status=status)


def _record(request: HttpRequest, record_id: Any, capability: str) -> Attendance:
    return get_scoped_or_404(
        request, Attendance.objects.select_related("session__site", "episode__patient", "locked_by"), record_id,
        capability=capability,
    )


def _correction_initial(att: Attendance) -> dict[str, Any]:
    zone = att.session.site.zone
    return {
        "status": att.status, "modality": att.modality, "absence_reason": att.absence_reason,
        "arrived_at": att.arrived_at.astimezone(zone).time() if att.arrived_at else None,
        "departed_at": att.departed_at.astimezone(zone).time() if att.departed_at else None,
        "version": att.version,
    }


@capability_required(Cap.ATTENDANCE_MARK)
def correct(request: HttpRequest, record_id: Any) -> HttpResponse:
    att = _record(request, record_id, Cap.ATTENDANCE_MARK)
    session = att.session
    initial = _correction_initial(att)
    form = CorrectionForm(request.POST or None, initial=initial)
    status, conflict = 200, ""
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.correct_attendance(
                attendance=att, user=request.user, reason=d["reason"], status=d["status"],
                arrived_at=local_moment(session, d.get("arrived_at")),
                departed_at=local_moment(session, d.get("departed_at")), modality=d.get("modality") or "",
                absence_reason=d.get("absence_reason", ""), minutes=d.get("minutes"), expected_version=d["version"],
            )
        except ConflictError as error:
            # Show the record as it is now, with the user's reason kept, so nothing they did not see is saved.
            att.refresh_from_db()
            form = CorrectionForm(initial={**_correction_initial(att), "reason": d["reason"]})
            conflict = error.message
            status = 409
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Correction saved and recorded in the history.")
            return redirect("attendance:mark", session_id=session.public_id)
    elif request.method == "GET":
        record(action=AuditAction.READ, obj=att, patient=att.episode.patient, site=session.site)
    return render(request, "attendance/correct.html", {
        "att": att, "form": form, "unlock_form": UnlockForm(), "conflict": conflict,
        "history": selectors.corrections_of(att),
        "can_unlock": can_unlock_attendance(request.user, session.site),
    }, status=status if status != 200 else (400 if request.method == "POST" else 200))


@capability_required(Cap.ATTENDANCE_UNLOCK)
def unlock(request: HttpRequest, record_id: Any) -> HttpResponse:
    att = _record(request, record_id, Cap.ATTENDANCE_UNLOCK)
    form = UnlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unlock_attendance(attendance=att, user=request.user, reason=form.cleaned_data["reason"])
        except DomainError as error:
            form.add_error("reason", error.message)
        else:
            messages.success(request, "Unlocked. The record can be corrected now.")
            return redirect("attendance:correct", record_id=att.public_id)
    return render(request, "attendance/unlock.html", {"att": att, "form": form},
                  status=400 if request.method == "POST" else 200)


# --------------------------------------------------------------------------------------------------
# Ledgers
# --------------------------------------------------------------------------------------------------


LEDGER_WEEKS = 6


@capability_required(Cap.PATIENT_VIEW)
def patient_hours(request: HttpRequest, patient_id: Any) -> HttpResponse:
    """Chart tab "Schedule & hours": the patient's upcoming sessions and treatment-hours ledger per episode."""

    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_VIEW)
    episodes = list(
        Episode.objects.restrict(request.user, Cap.PATIENT_VIEW).filter(patient=patient)
        .select_related("program", "program__site", "track").order_by("-admitted_on")
    )
    chosen = None
    wanted = request.GET.get("episode")
    for e in episodes:
        if wanted and str(e.public_id) == wanted:
            chosen = e
    if chosen is None and episodes:
        chosen = next((e for e in episodes if e.status == "active"), episodes[0])
    context = chart_context(request, patient, "schedule_hours")
    context.update({"episodes": episodes, "episode": chosen})
    if chosen is not None:
        site = chosen.program.site
        today = _site_today(site)
        monday = _week_of(request, today)
        start = monday - timedelta(days=7 * (LEDGER_WEEKS - 1))
        end = monday + timedelta(days=6)
        ledger = selectors.treatment_hours(chosen, start, end)
        week = ledger.week(monday)
        upcoming = sessions_for_episodes([chosen], today, today + timedelta(days=13))
        minimum = int(chosen.program.weekly_hours_min * 60)
        context.update({
            "ledger": ledger, "weeks": list(reversed(ledger.weeks)), "week": week, "monday": monday,
            "prev_week": monday - timedelta(days=7), "next_week": monday + timedelta(days=7),
            "upcoming": [s for s in upcoming if s.starts_at >= timezone.now()],
            "weekly_min_minutes": minimum,
        })
    record(action=AuditAction.READ, obj=patient, detail={"view": "schedule_hours"})
    return render(request, "attendance/patient_hours.html", context)


@capability_required(Cap.SCHEDULE_VIEW)
def track_ledger(request: HttpRequest, track_id: Any) -> HttpResponse:
    track = get_scoped_or_404(request, Track.objects.select_related("program__site"), track_id,
                              capability=Cap.SCHEDULE_VIEW)
    site = track.program.site
    monday = _week_of(request, _site_today(site))
    sunday = monday + timedelta(days=6)
    episodes = list(
        Episode.objects.filter(track=track).filter(active_on(sunday) | active_on(monday))
        .select_related("patient", "program").order_by("patient__legal_last_name", "patient__legal_first_name")[:500]
    )
    ledgers = selectors.treatment_hours_for_episodes(episodes, monday, sunday)
    badges = hours_badges(episodes, monday)
    rows = [{"episode": e, "week": ledgers[e.pk].weeks[0] if ledgers[e.pk].weeks else None,
             "hours_badge": badges.get(e.pk, "")} for e in episodes]
    names_ok = can_see_patient_names(request.user, site)
    record(action=AuditAction.READ, obj=track, site=site, detail={"view": "track_ledger", "rows": len(rows)})
    return render(request, "attendance/track_ledger.html", {
        "track": track, "rows": rows, "monday": monday, "sunday": sunday, "names_ok": names_ok,
        "prev_week": monday - timedelta(days=7), "next_week": monday + timedelta(days=7),
        "weekly_min_minutes": int(track.program.weekly_hours_min * 60),
        "tracks": Track.objects.restrict(request.user, Cap.SCHEDULE_VIEW).filter(active=True)
        .select_related("program"),
    })


@capability_required(Cap.SCHEDULE_VIEW)
def tracks(request: HttpRequest) -> HttpResponse:
    items = Track.objects.restrict(request.user, Cap.SCHEDULE_VIEW).select_related(
        "program", "program__site").order_by("program__site__name", "program__name", "name")
    return render(request, "attendance/tracks.html", {"tracks": items})
