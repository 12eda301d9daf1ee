"""Background jobs of billing (django-tasks, database backend; run them with `python manage.py db_worker`).

Tasks are thin wrappers around services (DESIGN.md): they take JSON-safe ids, load what they need and call
the service. Charge capture is idempotent (a service that already has a live charge is skipped), so a task
that runs twice, or one per trigger of the same session, creates each charge once.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError
from django_tasks import task

from trellis.billing import services
from trellis.billing.services.common import registered_coverage
from trellis.documentation.rules import ATTENDED_STATUSES
from trellis.scheduling.models import Session


@task()
def capture_session_charges(session_id: int) -> dict[str, Any]:
    """Capture the charges of one session's attended services (after attendance was marked or its note was
    signed). Per-service charges need the signed note and wait for a later trigger otherwise; a per-diem day
    is captured with its documentation status, and the scrubber re-reads minutes and signatures before the
    claim goes out."""
    session = Session.objects.select_related("site__organization").filter(pk=session_id).first()
    if session is None:
        return {"created": 0, "skipped": ["session no longer exists"]}
    coverage_for = registered_coverage()
    if coverage_for is None:  # nothing to bill against until the coverage app is connected (boundary.py)
        return {"created": 0, "skipped": ["no coverage source registered"]}
    episode_ids = list(session.attendance.filter(status__in=ATTENDED_STATUSES).values_list("episode_id", flat=True))
    if not episode_ids:
        return {"created": 0, "skipped": []}
    kwargs = {"organization": session.site.organization, "through": session.local_date, "since": session.local_date,
              "coverage_for": coverage_for, "episodes": episode_ids}
    try:
        result = services.capture_charges(**kwargs)
    except IntegrityError:
        # Another worker captured the same service meanwhile (one live charge per service is a database
        # constraint): run again, which skips what now exists.
        result = services.capture_charges(**kwargs)
    return {"created": len(result.created), "skipped": result.skipped}
