"""Billing's reactions to lower apps (connected in BillingConfig.ready()): when attendance is marked or a note
becomes complete (signed, and co-signed when required), a background task captures the session's charges.

The task is enqueued on commit, so a marking or signature that rolls back never queues anything, and the
worker only sees committed data."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from trellis.billing.tasks import capture_session_charges
from trellis.documentation.models import NoteStatus


def _enqueue(session_id: int) -> None:
    transaction.on_commit(lambda: capture_session_charges.enqueue(session_id))


def on_attendance_marked(sender: Any, *, session: Any, **kwargs: Any) -> None:
    _enqueue(session.pk)


def on_note_saved(sender: Any, *, instance: Any, **kwargs: Any) -> None:
    # Only a complete note makes a service billable (documentation.rules.is_billable); drafts saved while
    # writing queue nothing.
    if instance.status == NoteStatus.COMPLETE and instance.session_id:
        _enqueue(instance.session_id)
