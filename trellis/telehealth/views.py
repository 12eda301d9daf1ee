"""Telehealth pages. Patients: link → date of birth → telehealth consent → device check → waiting room
(no sign-in, no PHI in URLs or titles; the link id lives in the patient's browser session after the date of
birth matched). Staff: the site lobby, a session's lobby with video, links, presence → attendance, branding."""

from __future__ import annotations

import logging
import secrets
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import Site
from trellis.accounts.policies import capability_required, sites_with
from trellis.attendance.services import AttendanceBatchError
from trellis.audit.middleware import client_ip
from trellis.audit.services import AuditAction, record
from trellis.consents.models import ConsentKind
from trellis.consents.selectors import consents_in_force
from trellis.consents.services import ensure_default_texts
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.scheduling.models import Session
from trellis.telehealth import consumers, policies, selectors, services
from trellis.telehealth.forms import (
    ConsentForm,
    DeviceCheckForm,
    IdentityForm,
    VideoSettingsForm,
    WaitingRoomForm,
)
from trellis.telehealth.models import JoinLink, WaitingRoom
from trellis.telehealth.services import LinkProblem

logger = logging.getLogger(__name__)

SESSION_LINK = "telehealth_link"
SESSION_DEVICE_OK = "telehealth_device_ok"

PROBLEM_TEXT = {
    LinkProblem.UNKNOWN: ("We could not find this link.",
                          "Check that you opened the whole link from your message, or call the clinic for a new one."),
    LinkProblem.REVOKED: ("This link is no longer active.",
                          "The clinic replaced or cancelled it. Please use the newest link you received, or call us."),
    LinkProblem.EXPIRED: ("This session has ended.",
                          "The link worked until the end of the session. If you missed it, please call the clinic."),
    LinkProblem.TOO_EARLY: ("It is a little early.",
                            "This link opens shortly before your session starts. Please come back then."),
    LinkProblem.CANCELLED: ("This session was cancelled.", "The clinic will contact you about your next session."),
    LinkProblem.NOT_ON_ROSTER: ("You are not on the list for this session.",
                                "Please call the clinic so they can check your schedule."),
    LinkProblem.LOCKED: ("This link is locked.",
                         "The date of birth did not match too many times. Please call the clinic for a new link."),
}


def _patient_page(request: HttpRequest, template: str, room: WaitingRoom | None, **context: Any) -> HttpResponse:
    context.setdefault("room", room)
    response = render(request, template, context, status=context.pop("status", 200))
    # Never send the page's path (it may hold the join token) as a referrer; "no-referrer" would make form
    # posts carry "Origin: null", which CSRF protection rightly refuses.
    response["Referrer-Policy"] = "strict-origin"
    return response


def _problem(request: HttpRequest, problem: str, link: JoinLink | None) -> HttpResponse:
    logger.info("telehealth: join refused (%s)", problem)
    room = selectors.waiting_room_for(link.session) if link is not None else None
    headline, detail = PROBLEM_TEXT[problem]
    return _patient_page(request, "telehealth/patient_problem.html", room, headline=headline, detail=detail,
                         status=200 if problem == LinkProblem.TOO_EARLY else 410 if link else 404)


def join(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.find_link(token)
    problem = services.check_link(link)
    if problem is not None:
        return _problem(request, problem, link)
    room = selectors.waiting_room_for(link.session)
    form = IdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.confirm_identity(link=link, date_of_birth=form.cleaned_data["date_of_birth"]):
            request.session.cycle_key()
            request.session[SESSION_LINK] = str(link.public_id)
            return redirect("telehealth:join_next")
        link.refresh_from_db(fields=["failed_checks"])
        if link.failed_checks >= services.MAX_IDENTITY_ATTEMPTS:
            return _problem(request, LinkProblem.LOCKED, link)
        form.add_error("date_of_birth", "That date of birth does not match our records. Please try again.")
    return _patient_page(request, "telehealth/patient_identity.html", room, form=form,
                         status=422 if request.method == "POST" else 200)


def _visiting(request: HttpRequest) -> tuple[JoinLink | None, HttpResponse | None]:
    link_id = request.session.get(SESSION_LINK)
    link = selectors.link_by_id(link_id) if link_id else None
    if link is None:
        return None, _problem(request, LinkProblem.UNKNOWN, None)
    problem = services.check_link(link)
    if problem is not None or link.verified_at is None:
        return None, _problem(request, problem or LinkProblem.UNKNOWN, link)
    return link, None


def _has_consent(link: JoinLink) -> bool:
    today = timezone.now().astimezone(link.session.site.zone).date()
    return any(c.kind == ConsentKind.TELEHEALTH for c in consents_in_force(link.episode.patient, on=today))


def visit(request: HttpRequest) -> HttpResponse:
    link, refused = _visiting(request)
    if refused:
        return refused
    if not _has_consent(link):
        return redirect("telehealth:join_consent")
    if request.session.get(SESSION_DEVICE_OK) != str(link.public_id):
        return redirect("telehealth:join_device")
    return redirect("telehealth:join_wait")


def visit_consent(request: HttpRequest) -> HttpResponse:
    link, refused = _visiting(request)
    if refused:
        return refused
    if _has_consent(link):
        return redirect("telehealth:join_next")
    text = ensure_default_texts(organization=link.session.site.organization)[ConsentKind.TELEHEALTH]
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_telehealth_consent(link=link, signer_name=form.cleaned_data["signer_name"],
                                             ip_address=client_ip(request))
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("telehealth:join_next")
    return _patient_page(request, "telehealth/patient_consent.html", selectors.waiting_room_for(link.session),
                         form=form, text=text, status=422 if request.method == "POST" else 200)


def visit_device(request: HttpRequest) -> HttpResponse:
    link, refused = _visiting(request)
    if refused:
        return refused
    form = DeviceCheckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.record_device_check(link=link, result=form.cleaned_data)
        request.session[SESSION_DEVICE_OK] = str(link.public_id)
        return redirect("telehealth:join_wait")
    return _patient_page(request, "telehealth/patient_device.html", selectors.waiting_room_for(link.session),
                         form=form)


def visit_wait(request: HttpRequest) -> HttpResponse:
    link, refused = _visiting(request)
    if refused:
        return refused
    if not _has_consent(link):
        return redirect("telehealth:join_consent")
    device = secrets.token_hex(8)
    return _patient_page(
        request, "telehealth/patient_wait.html", selectors.waiting_room_for(link.session),
        link=link, status_now=selectors.patient_status(link),
        provider=selectors.provider_for(link.session.site.organization),
        ws_path=f"/ws/telehealth/patient/{link.public_id}/", token=consumers.make_patient_token(link, device),
    )


# --------------------------------------------------------------------------------------------------
# Staff
# --------------------------------------------------------------------------------------------------


def _today(request: HttpRequest, sites: list[Site]) -> date:
    active = getattr(request, "active_site", None)
    zone_site = active or (sites[0] if sites else None)
    return timezone.now().astimezone(zone_site.zone).date() if zone_site else timezone.now().date()


def _overview(request: HttpRequest) -> dict[str, Any]:
    sites = sites_with(request.user, Cap.TELEHEALTH_LOBBY)
    active = getattr(request, "active_site", None)
    site = active if active is not None and any(s.pk == active.pk for s in sites) else None
    day = _today(request, sites)
    mine = request.GET.get("mine") == "1"
    sessions = list(selectors.telehealth_sessions(request.user, day, capability=Cap.TELEHEALTH_LOBBY, site=site,
                                                  mine=mine))
    waiting = selectors.waiting_now(sessions)
    counts = selectors.waiting_counts(sessions)
    rows = [{"session": s, "waiting": waiting.get(s.pk, []), "counts": dict(counts.get(s.pk, {}))} for s in sessions]
    shown = [str(link.episode.patient.public_id) for r in rows for link in r["waiting"]]
    if shown:
        record(action=AuditAction.READ, object_type="telehealth_lobby", detail={"view": "site_lobby", "patients": shown})
    return {"rows": rows, "day": day, "mine": mine, "site": site}


@capability_required(Cap.TELEHEALTH_LOBBY)
def lobby(request: HttpRequest) -> HttpResponse:
    return render(request, "telehealth/lobby.html", _overview(request))


@capability_required(Cap.TELEHEALTH_LOBBY)
def lobby_list(request: HttpRequest) -> HttpResponse:
    return render(request, "telehealth/_lobby_list.html", _overview(request))


def _session(request: HttpRequest, session_id: Any, capability: str) -> Session:
    return get_scoped_or_404(
        request, Session.objects.select_related("site", "program", "facilitator", "episode__patient"), session_id,
        capability=capability,
    )


@capability_required(Cap.TELEHEALTH_LOBBY)
def session_lobby(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id, Cap.TELEHEALTH_LOBBY)
    rows = selectors.lobby_rows(session)
    record(action=AuditAction.READ, obj=session, site=session.site, detail={"view": "telehealth_lobby"})
    provider = selectors.provider_for(session.site.organization)
    return render(request, "telehealth/session.html", {
        "session": session,
        "rows": rows,
        "lobby_json": selectors.lobby_payload(session, rows),
        "room": selectors.room_state(session),
        "can_host": policies.can_host(request.user, session.site),
        "can_links": policies.can_send_links(request.user, session.site),
        "can_mark": policies.can_mark_attendance(request.user, session.site),
        "is_telehealth": services.is_telehealth(session),
        "provider": provider,
        "ws_path": f"/ws/telehealth/session/{session.public_id}/",
    })


@require_POST
@capability_required(Cap.TELEHEALTH_LINKS)
def send_links(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id, Cap.TELEHEALTH_LINKS)
    try:
        issued = services.issue_links(session=session, user=request.user, base_url=request.build_absolute_uri("/"))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if not issued:
            messages.info(request, "Everyone on the roster already has a link.")
        else:
            sent = sum(1 for i in issued if i.sent)
            unsent = len(issued) - sent
            text = f"{len(issued)} link{'s' if len(issued) != 1 else ''} created, {sent} sent."
            if unsent:
                text += f" {unsent} could not be sent (no email on file): give those patients their link by phone."
            messages.success(request, text)
    return redirect("telehealth:session", session_id=session.public_id)


@require_POST
@capability_required(Cap.TELEHEALTH_LINKS)
def revoke(request: HttpRequest, link_id: Any) -> HttpResponse:
    link = get_scoped_or_404(request, JoinLink.objects.select_related("session", "episode__patient"), link_id,
                             capability=Cap.TELEHEALTH_LINKS)
    try:
        services.revoke_link(link=link, user=request.user, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Link revoked. Send a new one from this page if the patient still needs it.")
    return redirect("telehealth:session", session_id=link.session.public_id)


@capability_required(Cap.TELEHEALTH_HOST)
def presence_attendance(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _session(request, session_id, Cap.TELEHEALTH_HOST)
    if not policies.can_mark_attendance(request.user, session.site):
        raise Http404("Not found")
    error = None
    if request.method == "POST":
        try:
            saved = services.confirm_attendance(session=session, user=request.user,
                                                correction_reason=request.POST.get("correction_reason", ""))
        except AttendanceBatchError as exc:
            error = exc.message + " " + " ".join(sorted({e.message for e in exc.errors.values()}))
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"Attendance confirmed for {len(saved)} patient{'s' if len(saved) != 1 else ''}.")
            return redirect("telehealth:attendance", session_id=session.public_id)
    rows = selectors.suggestions(session)
    record(action=AuditAction.READ, obj=session, site=session.site, detail={"view": "presence_attendance"})
    return render(request, "telehealth/attendance.html", {
        "session": session, "rows": rows, "error": error,
        "started": session.starts_at <= timezone.now(),
        "marked": selectors.marked_episode_ids(session),
    }, status=422 if error else 200)


@capability_required(Cap.TELEHEALTH_MANAGE)
def rooms(request: HttpRequest) -> HttpResponse:
    sites = sites_with(request.user, Cap.TELEHEALTH_MANAGE)
    existing = {r.site_id: r for r in WaitingRoom.objects.restrict(request.user, Cap.TELEHEALTH_MANAGE)
                .filter(program__isnull=True)}
    org = sites[0].organization if sites else None
    provider = selectors.provider_for(org) if org else None
    form = VideoSettingsForm(request.POST or None, initial={"provider": provider.provider if provider else "mesh",
                                                           "livekit_url": provider.livekit_url if provider else ""})
    if request.method == "POST" and org is not None and form.is_valid():
        try:
            services.save_video_settings(user=request.user, organization=org, **form.cleaned_data)
        except DomainError as exc:
            form.add_error("livekit_url", exc.message)
        else:
            messages.success(request, "Video provider saved.")
            return redirect("telehealth:rooms")
    return render(request, "telehealth/rooms.html", {
        "rows": [{"site": s, "room": existing.get(s.pk)} for s in sites], "form": form,
        "livekit_keys": bool(settings.LIVEKIT_API_KEY and settings.LIVEKIT_API_SECRET),
    })


@capability_required(Cap.TELEHEALTH_MANAGE)
def room_edit(request: HttpRequest, site_id: Any) -> HttpResponse:
    site = next((s for s in sites_with(request.user, Cap.TELEHEALTH_MANAGE) if str(s.public_id) == str(site_id)), None)
    if site is None:
        raise Http404("Not found")
    room = WaitingRoom.objects.filter(site=site, program__isnull=True).first()
    initial = {} if room else {"title": site.display_name or site.name, "accent_color": site.accent_color,
                               "welcome_text": site.welcome_text, "support_phone": site.phone}
    form = WaitingRoomForm(request.POST or None, request.FILES or None, instance=room, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = {k: form.cleaned_data[k] for k in form.changed_data if k in services.BRANDING_FIELDS}
        if room is None:
            fields = {k: form.cleaned_data[k] for k in form.fields if form.cleaned_data.get(k) not in (None, "")}
        try:
            services.save_waiting_room(user=request.user, site=site, room=room, **fields)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Waiting room saved.")
            return redirect("telehealth:rooms")
    return render(request, "telehealth/room_edit.html", {"site": site, "form": form, "room": room},
                  status=422 if request.method == "POST" else 200)
