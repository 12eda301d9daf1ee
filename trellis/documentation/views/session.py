"""Screen: a session's notes (who attended, the group note or one note per patient) and starting a note."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.attendance.models import Attendance
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.scheduling.models import Session

from .. import policies, selectors, services
from ..models import Note


def _load_session(request: HttpRequest, session_id: Any) -> Any:
    return get_scoped_or_404(request, Session.objects.select_related("site", "site__organization", "program",
                                                                     "facilitator"),
                             session_id, capability=Cap.NOTE_WRITE)


@capability_required(Cap.NOTE_WRITE)
@require_GET
def session_notes(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _load_session(request, session_id)
    attendance = list(Attendance.objects.filter(session=session).select_related("episode__patient").order_by("pk"))
    notes = {n.episode_id: n for n in Note.objects.filter(session=session).select_related("author")}
    organization = session.site.organization
    # The organization's templates were installed when it was created; this page only reads them.
    templates = list(selectors.templates_for(organization, services.SERVICE_FALLBACK.get(
        session.service_type, session.service_type)))
    group = session.is_group
    return render(request, "documentation/session_notes.html", {
        "session": session,
        "group": group,
        "attendance": [{"a": a, "attended": a.status in selectors.ATTENDED_STATUSES,
                        "note": notes.get(a.episode_id)} for a in attendance],
        "group_note": notes.get(None),
        "templates": templates,
        "can_write": bool(policies.can_write_for_session(request.user, session)),
        "zone": session.site.zone,
    })


@capability_required(Cap.NOTE_WRITE)
@require_POST
def start(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _load_session(request, session_id)
    template_version = None
    key = request.POST.get("template") or ""
    try:
        if key:
            template_version = services.current_template_version(
                organization=session.site.organization, service_type=session.service_type, key=key)
        attendance = None
        if request.POST.get("attendance"):
            attendance = Attendance.objects.filter(session=session, public_id=request.POST["attendance"]).first()
            if attendance is None:
                raise DomainError("That patient is not on this session.")
        note = services.start_note(session=session, user=request.user, template_version=template_version,
                                   attendance=attendance)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("documentation:session_notes", session_id=session.public_id)
    except (ValueError, DjangoValidationError):
        messages.error(request, "That choice is not valid; reload the page.")
        return redirect("documentation:session_notes", session_id=session.public_id)
    return redirect("documentation:note", note_id=note.public_id)
