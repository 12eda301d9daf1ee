from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from trellis.accounts.policies import login_required_view, roles_of
from trellis.audit.services import record_list_read
from trellis.web.selectors import recent_patients_for, today_for


@login_required_view
def home(request: HttpRequest) -> HttpResponse:
    recent = recent_patients_for(request.user)
    record_list_read(view="today_recent_charts", patients=recent)
    return render(
        request,
        "web/home.html",
        {
            "recent_patients": recent,
            "roles": sorted(roles_of(request.user)),
            "today": today_for(request.user, request.active_site),
        },
    )


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness/readiness for the reverse proxy: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
