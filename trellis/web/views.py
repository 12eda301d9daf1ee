from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from trellis.accounts.policies import login_required_view, roles_of
from trellis.audit.services import record_list_read
from trellis.core.health import healthz as core_healthz
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


healthz = core_healthz  # liveness/readiness for the reverse proxy (503 JSON when the database does not answer)
