"""Scheduling pages: calendars (week, day, printable day sheet), sessions, series, appointments, closures
and the staff iCalendar feed (program/track/room setup lives in programs). Thin: parse, check policy, call service/selector."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.audit.services import AuditAction, record, record_list_read
from trellis.core.access import get_scoped_or_404, site_ids_for
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.core.part2 import part2_notice_for
from trellis.episodes.models import Episode
from trellis.episodes.selectors import active_on
from trellis.patients.models import Patient
from trellis.programs.models import Program
from trellis.scheduling import forms, grid, policies, selectors, services
from trellis.scheduling.models import FeedToken, Session, SessionSeries


def _sites(request: HttpRequest, capability: str) -> list[Any]:
    sites = sites_with(request.user, capability)
    active = getattr(request, "active_site", None)
    if active is not None and any(s.pk == active.pk for s in sites):
        return [active]
    return sites


def _today(sites: list[Any]) -> date:
    zone = sites[0].zone if sites else None
    return timezone.now().astimezone(zone).date() if zone else timezone.now().date()


def _staff(sites: list[Any]) -> Any:
    return selectors.staff_choices(sites)



# --------------------------------------------------------------------------------------------------
# Calendars
# --------------------------------------------------------------------------------------------------


def _calendar_filters(request: HttpRequest) -> tuple[forms.CalendarFilterForm, list[Any], date]:
    sites = sites_with(request.user, Cap.SCHEDULE_VIEW)
    form = forms.CalendarFilterForm(request.GET or None, sites=sites, staff=_staff(sites))
    if request.GET and not form.is_valid():
        if "date" in form.errors:
            messages.error(request, "That date could not be read (use YYYY-MM-DD); showing today instead.")
        if set(form.errors) - {"date"}:
            messages.error(request, "Some filters were not valid and were ignored.")
    day = form.day(_today(_sites(request, Cap.SCHEDULE_VIEW)))
    return form, sites, day


def _filters(form: forms.CalendarFilterForm, request: HttpRequest, start: date, end: date) -> selectors.CalendarFilters:
    site = form.value("site") or getattr(request, "active_site", None)
    return selectors.CalendarFilters(
        start=start, end=end, site=site, track=form.value("track"), staff=form.value("staff"),
        room=form.value("room"), kind=form.value("kind", ""),
        include_cancelled=not form.value("hide_cancelled", False),
    )


def _query_without(request: HttpRequest, *names: str) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _patient_filter(request: HttpRequest, form: forms.CalendarFilterForm, filters: selectors.CalendarFilters) -> Any:
    """A patient's own schedule: loaded through the access helper (404 + audited denial outside my sites)."""
    patient_id = form.value("patient")
    if not patient_id:
        return None

    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.PATIENT_VIEW)
    filters.patient = patient
    record(action=AuditAction.READ, obj=patient, detail={"view": "patient_schedule"})
    return patient


@capability_required(Cap.SCHEDULE_VIEW)
def week(request: HttpRequest) -> HttpResponse:
    form, sites, day = _calendar_filters(request)
    monday = day - timedelta(days=day.weekday())
    filters = _filters(form, request, monday, monday + timedelta(days=6))
    patient = _patient_filter(request, form, filters)
    days = selectors.calendar(request.user, filters)
    iso = monday.isocalendar()
    list_view = request.GET.get("view") == "list"
    today = _today(sites)
    return render(request, "scheduling/week.html", {
        "list_view": list_view, "grid": None if list_view else grid.week_grid(days, today),
        "query_no_view": _query_without(request, "date", "view"),
        "form": form, "days": days, "monday": monday, "iso": iso, "patient": patient,
        "prev": monday - timedelta(days=7), "next": monday + timedelta(days=7), "today": _today(sites),
        "query": _query_without(request, "date"), "can_manage": any(policies.can_manage_schedule(request.user, s)
                                                                     for s in sites),
    })


@capability_required(Cap.SCHEDULE_VIEW)
def day(request: HttpRequest) -> HttpResponse:
    form, sites, the_day = _calendar_filters(request)
    filters = _filters(form, request, the_day, the_day)
    patient = _patient_filter(request, form, filters)
    (cal_day,) = selectors.calendar(request.user, filters)
    view = request.GET.get("view") if request.GET.get("view") in {"rooms", "staff", "list"} else "rooms"
    return render(request, "scheduling/day.html", {
        "view": view, "by_staff": view == "staff", "query_no_view": _query_without(request, "date", "view"),
        "grid": None if view == "list" else grid.day_grid(cal_day, by="staff" if view == "staff" else "room"),
        "form": form, "day": cal_day, "patient": patient, "prev": the_day - timedelta(days=1), "next": the_day + timedelta(days=1),
        "today": _today(sites), "query": _query_without(request, "date"),
    })


@capability_required(Cap.SCHEDULE_VIEW)
def day_sheet(request: HttpRequest) -> HttpResponse:
    """Printable front-desk sheet: every session of the day with its roster (names only for PATIENT_VIEW)."""
    form, sites, the_day = _calendar_filters(request)
    filters = _filters(form, request, the_day, the_day)
    filters.include_cancelled = True
    (cal_day,) = selectors.calendar(request.user, filters, with_patients=True)
    names_ok = set(site_ids_for(request.user, Cap.PATIENT_VIEW))
    shown = [m.patient for e in cal_day.entries if e.session.site_id in names_ok
             for m in (e.roster.members if e.roster else [])]
    record(action=AuditAction.PRINT, object_type="day_sheet", object_id=the_day.isoformat(),
           detail={"sessions": len(cal_day.entries), "patients": [str(p.public_id) for p in shown]})
    notice = part2_notice_for(shown, fmt="html") if names_ok else ""
    return render(request, "scheduling/day_sheet.html", {"day": cal_day, "names_ok": names_ok,
                                                         "part2_notice": notice})


# --------------------------------------------------------------------------------------------------
# Sessions
# --------------------------------------------------------------------------------------------------


def _session(request: HttpRequest, session_id: Any, capability: str = Cap.SCHEDULE_VIEW) -> Session:
    return get_scoped_or_404(
        request, Session.objects.select_related("site", "facilitator", "co_facilitator", "room", "series", "program",
                                                "episode__patient"),
        session_id, capability=capability,
    )


def _session_context(request: HttpRequest, session: Session, **extra: Any) -> dict[str, Any]:
    roster = selectors.roster_for_session(session)
    site = session.site
    staff = _staff([site])
    manage = policies.can_manage_schedule(request.user, site)
    eligible = (
        Episode.objects.filter(active_on(session.local_date), program__site=site)
        .exclude(pk__in=[m.episode.pk for m in roster.members])
        .select_related("patient", "program")
        .order_by("patient__legal_last_name", "patient__legal_first_name")[:500]
    )
    context = {
        "session": session,
        "roster": roster,
        "names_ok": policies.can_see_patient_names(request.user, site),
        "can_manage": manage,
        "can_mark": policies.can_mark_attendance(request.user, site),
        "upcoming": session.starts_at > timezone.now(),
        "cancel_form": forms.CancelForm(initial={"version": session.version}),
        "move_form": forms.MoveForm(site=site, initial={
            "local_date": session.local_date, "start_time": session.local_start.time(),
            "end_time": session.local_end.time(), "room": session.room_id, "version": session.version,
        }),
        "restaff_form": forms.RestaffForm(staff=staff, initial={
            "facilitator": session.facilitator_id, "co_facilitator": session.co_facilitator_id,
            "version": session.version,
        }),
        "add_form": forms.RosterAddForm(episodes=eligible),
    }
    if context["names_ok"]:
        # The roster and the add-a-patient list both show names: one list-read event for the page.
        record_list_read(view="session_roster", site=site,
                         patients=[m.episode.patient for m in roster.members] + [e.patient for e in eligible])
    context.update(extra)
    return context


@capability_required(Cap.SCHEDULE_VIEW)
def session_detail(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id)
    record(action=AuditAction.READ, obj=session, site=session.site,
           patient=session.episode.patient if session.episode_id else None, detail={"view": "session"})
    return render(request, "scheduling/session.html", _session_context(request, session))


def _render_session_error(request: HttpRequest, session: Session, form_key: str, form: Any) -> HttpResponse:
    return render(request, "scheduling/session.html", _session_context(request, session, **{form_key: form}),
                  status=400)


@capability_required(Cap.SCHEDULE_MANAGE)
@require_POST
def session_cancel(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id, Cap.SCHEDULE_MANAGE)
    form = forms.CancelForm(request.POST)
    if form.is_valid():
        try:
            services.cancel_session(session=session, user=request.user, reason=form.cleaned_data["reason"],
                                    version=form.cleaned_data.get("version"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Session cancelled. The series and other dates are unchanged.")
            return redirect("scheduling:session", session_id=session.public_id)
    return _render_session_error(request, session, "cancel_form", form)


@capability_required(Cap.SCHEDULE_MANAGE)
@require_POST
def session_move(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id, Cap.SCHEDULE_MANAGE)
    form = forms.MoveForm(request.POST, site=session.site)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.move_session(session=session, user=request.user, local_date=d["local_date"],
                                  start_time=d["start_time"], end_time=d["end_time"], room=d["room"],
                                  version=d.get("version"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Session moved. The series and other dates are unchanged.")
            return redirect("scheduling:session", session_id=session.public_id)
    return _render_session_error(request, session, "move_form", form)


@capability_required(Cap.SCHEDULE_MANAGE)
@require_POST
def session_restaff(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id, Cap.SCHEDULE_MANAGE)
    form = forms.RestaffForm(request.POST, staff=_staff([session.site]))
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.restaff_session(session=session, user=request.user, facilitator=d["facilitator"],
                                     co_facilitator=d.get("co_facilitator"), reason=d.get("reason", ""),
                                     version=d.get("version"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Staffing changed for this session only.")
            return redirect("scheduling:session", session_id=session.public_id)
    return _render_session_error(request, session, "restaff_form", form)


@capability_required(Cap.SCHEDULE_MANAGE)
@require_POST
def roster_add(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id, Cap.SCHEDULE_MANAGE)
    episodes = Episode.objects.filter(program__site=session.site).select_related("patient", "program")
    form = forms.RosterAddForm(request.POST, episodes=episodes)
    if form.is_valid():
        try:
            services.add_to_roster(session=session, episode=form.cleaned_data["episode"], user=request.user,
                                   reason=form.cleaned_data.get("reason", ""))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Added to this session.")
            return redirect("scheduling:session", session_id=session.public_id)
    return _render_session_error(request, session, "add_form", form)


@capability_required(Cap.SCHEDULE_MANAGE)
@require_POST
def roster_excuse(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id, Cap.SCHEDULE_MANAGE)
    form = forms.RosterExcuseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for excusing the patient.")
        return redirect("scheduling:session", session_id=session.public_id)
    episode = Episode.objects.filter(public_id=form.cleaned_data["episode"], program__site=session.site).first()
    if episode is None:
        raise Http404("Not found")
    try:
        services.excuse_from_roster(session=session, episode=episode, user=request.user,
                                    reason=form.cleaned_data["reason"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Excused from this session.")
    return redirect("scheduling:session", session_id=session.public_id)


# --------------------------------------------------------------------------------------------------
# Series
# --------------------------------------------------------------------------------------------------


@capability_required(Cap.SCHEDULE_VIEW)
def series_list(request: HttpRequest) -> HttpResponse:
    sites = _sites(request, Cap.SCHEDULE_VIEW)
    items = list(selectors.series_for(request.user).filter(site__in=sites).order_by("site__name", "start_time"))
    return render(request, "scheduling/series_list.html", {
        "series": items, "can_manage": any(policies.can_manage_schedule(request.user, s) for s in sites),
    })


@capability_required(Cap.SCHEDULE_MANAGE)
def series_create(request: HttpRequest) -> HttpResponse:
    sites = sites_with(request.user, Cap.SCHEDULE_MANAGE)
    form = forms.SeriesForm(request.POST or None, sites=sites, staff=_staff(sites),
                            initial={"starts_on": _today(sites), "weekdays": ["0", "2", "4"]})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        program: Program = d["program"]
        try:
            series = services.create_series(
                user=request.user, site=program.site, program=program, tracks=list(d["tracks"]), title=d["title"],
                topic=d["topic"], service_type=d["service_type"], modality=d["modality"], weekdays=d["weekdays"],
                start_time=d["start_time"], end_time=d["end_time"], starts_on=d["starts_on"], ends_on=d["ends_on"],
                facilitator=d["facilitator"], co_facilitator=d.get("co_facilitator"), room=d.get("room"),
                capacity=d.get("capacity"), break_minutes=d.get("break_minutes") or 0,
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            count = series.sessions.count()
            messages.success(request, f"Series created with {count} upcoming sessions.")
            return redirect("scheduling:series_edit", series_id=series.public_id)
    return render(request, "scheduling/series_form.html", {"form": form, "creating": True})


@capability_required(Cap.SCHEDULE_MANAGE)
def series_edit(request: HttpRequest, series_id: Any) -> HttpResponse:
    series = get_scoped_or_404(request, SessionSeries.objects.select_related("site", "program"), series_id,
                               capability=Cap.SCHEDULE_MANAGE)
    sites = [series.site]
    initial = {
        "program": series.program_id, "tracks": list(series.tracks.all()), "title": series.title, "topic": series.topic,
        "service_type": series.service_type, "modality": series.modality,
        "weekdays": [str(d) for d in series.weekdays], "start_time": series.start_time, "end_time": series.end_time,
        "starts_on": series.starts_on, "ends_on": series.ends_on, "facilitator": series.facilitator_id,
        "co_facilitator": series.co_facilitator_id, "room": series.room_id, "capacity": series.capacity,
        "break_minutes": series.break_minutes, "active": series.active, "version": series.version,
    }
    form = forms.SeriesForm(request.POST or None, sites=sites, staff=_staff(sites), editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.update_series(
                series=series, user=request.user, version=d.get("version"), tracks=list(d["tracks"]),
                title=d["title"], topic=d["topic"], service_type=d["service_type"], modality=d["modality"],
                weekdays=d["weekdays"], start_time=d["start_time"], end_time=d["end_time"], ends_on=d["ends_on"],
                facilitator=d["facilitator"], co_facilitator=d.get("co_facilitator"), room=d.get("room"),
                capacity=d.get("capacity"), active=d.get("active", False), break_minutes=d.get("break_minutes") or 0,
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Series saved. Upcoming sessions follow the change; past ones are unchanged.")
            return redirect("scheduling:series_edit", series_id=series.public_id)
    upcoming = list(
        series.sessions.filter(local_date__gte=_today(sites)).select_related("facilitator", "room").order_by("starts_at")[:20]
    )
    return render(request, "scheduling/series_form.html", {
        "form": form, "creating": False, "series": series, "upcoming": upcoming,
    })


# --------------------------------------------------------------------------------------------------
# Appointments and closures
# --------------------------------------------------------------------------------------------------


@capability_required(Cap.SCHEDULE_MANAGE)
def appointment_create(request: HttpRequest) -> HttpResponse:
    sites = sites_with(request.user, Cap.SCHEDULE_MANAGE)
    today = _today(sites)
    episodes = (
        Episode.objects.restrict(request.user, Cap.SCHEDULE_MANAGE).filter(active_on(today))
        .select_related("patient", "program", "program__site")
        .order_by("patient__legal_last_name", "patient__legal_first_name")
    )
    form = forms.AppointmentForm(request.POST or None, episodes=episodes, staff=_staff(sites), sites=sites,
                                 initial={"local_date": today})
    record_list_read(view="appointment_form", patients=[e.patient for e in episodes])
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            session = services.book_appointment(
                user=request.user, episode=d["episode"], service_type=d["service_type"], local_date=d["local_date"],
                start_time=d["start_time"], end_time=d["end_time"], facilitator=d["facilitator"],
                title=d.get("title", ""), modality=d["modality"], room=d.get("room"),
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Appointment booked.")
            return redirect("scheduling:session", session_id=session.public_id)
    return render(request, "scheduling/appointment_form.html", {"form": form})


@capability_required(Cap.SCHEDULE_MANAGE)
def session_create(request: HttpRequest) -> HttpResponse:
    sites = sites_with(request.user, Cap.SCHEDULE_MANAGE)
    form = forms.OneOffSessionForm(request.POST or None, sites=sites, staff=_staff(sites),
                                   initial={"local_date": _today(sites)})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        program: Program = d["program"]
        try:
            session = services.create_session(
                user=request.user, site=program.site, program=program, tracks=list(d["tracks"]), title=d["title"],
                topic=d["topic"], service_type=d["service_type"], modality=d["modality"],
                local_date=d["local_date"], start_time=d["start_time"], end_time=d["end_time"],
                facilitator=d["facilitator"], co_facilitator=d.get("co_facilitator"), room=d.get("room"),
                capacity=d.get("capacity"), break_minutes=d.get("break_minutes") or 0,
            )
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Session scheduled.")
            return redirect("scheduling:session", session_id=session.public_id)
    return render(request, "scheduling/session_form.html", {"form": form})


@capability_required(Cap.SCHEDULE_MANAGE)
def closures(request: HttpRequest) -> HttpResponse:
    sites = sites_with(request.user, Cap.SCHEDULE_MANAGE)
    form = forms.ClosureForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.create_closure(user=request.user, organization=request.user.organization, on=d["date"],
                                    reason=d["reason"], site=d.get("site"))
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Closure added; that day's sessions are cancelled with the reason.")
            return redirect("scheduling:closures")
    today = _today(sites)
    upcoming = selectors.closures_between(request.user.organization, today - timedelta(days=30),
                                          today + timedelta(days=400))
    return render(request, "scheduling/closures.html", {"form": form, "closures": upcoming})


# --------------------------------------------------------------------------------------------------
# iCalendar feeds
# --------------------------------------------------------------------------------------------------


@capability_required(Cap.SCHEDULE_VIEW)
def feeds(request: HttpRequest) -> HttpResponse:
    new_url = None
    if request.method == "POST":
        _, secret = services.create_feed_token(user=request.user, label=request.POST.get("label", "")[:80])
        new_url = request.build_absolute_uri(reverse("scheduling:ical_feed", kwargs={"secret": secret}))
        messages.success(request, "Calendar link created. Copy it now: it is shown only once.")
    return render(request, "scheduling/feeds.html", {"tokens": selectors.feed_tokens_of(request.user),
                                                     "new_url": new_url})


@capability_required(Cap.SCHEDULE_VIEW)
@require_POST
def feed_revoke(request: HttpRequest, token_id: Any) -> HttpResponse:
    token = FeedToken.objects.filter(public_id=token_id, user=request.user).first()
    if token is None:
        raise Http404("Not found")
    services.revoke_feed_token(token=token, user=request.user)
    messages.success(request, "Calendar link revoked; calendars using it stop updating.")
    return redirect("scheduling:feeds")


def ical_feed(request: HttpRequest, secret: str) -> HttpResponse:
    """Public by design: the unguessable token is the credential (revocable). No patient names inside."""
    from trellis.scheduling.ical import build_staff_calendar

    token = selectors.find_feed_token(secret)
    # A person who left (inactive) or lost every scheduling role no longer gets a feed, token or not.
    if token is None or not policies.can_subscribe_calendar(token.user):
        raise Http404("Not found")
    today = timezone.now().date()
    sessions = selectors.staff_feed_sessions(token.user, today - timedelta(days=14), today + timedelta(days=60))
    # The EXPORT event is the only write: it is also what the feeds page shows as the link's last use.
    record(action=AuditAction.EXPORT, object_type=selectors.FEED_AUDIT_TYPE, object_id=str(token.public_id),
           actor=token.user, detail={"sessions": len(sessions)})
    body = build_staff_calendar(token.user, sessions,
                                rosters=selectors.rosters_for_sessions(sessions, with_patients=False))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    response["Content-Disposition"] = 'inline; filename="trellis.ics"'
    return response


ical_feed.required_capability = None  # type: ignore[attr-defined]  # token-protected (see the URL walk test)


def moved_to(url_name: str) -> Any:
    """A view that sends an old URL to its new home, keeping the method (308) and the query string."""

    def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
        target = reverse(url_name, kwargs=kwargs or None)
        query = request.META.get("QUERY_STRING", "")
        response = HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)
        response.status_code = 308
        return response

    view.redirect_only = True  # type: ignore[attr-defined] - the data-category floor lets old addresses through
    return view
