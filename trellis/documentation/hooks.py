"""Documentation's reactions to lower layers' hooks (connected in apps.py)."""

from __future__ import annotations

from typing import Any

from . import services


def on_organization_created(sender: Any, *, organization: Any, **kwargs: Any) -> None:
    """Every organization starts with the shipped note templates (so no page has to create them)."""
    services.ensure_default_templates(organization=organization)


def on_attendance_marked(sender: Any, *, session: Any, user: Any, **kwargs: Any) -> None:
    """Patients marked as attending get their section on the session's draft group note."""
    services.add_new_attendees(session=session, user=user)
