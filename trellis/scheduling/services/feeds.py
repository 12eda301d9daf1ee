"""Per-staff iCalendar feed tokens (the secret is shown once, stored hashed)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from trellis.accounts.models import User
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError
from trellis.scheduling.models import (
    FeedToken,
)


def create_feed_token(*, user: User, label: str = "") -> tuple[FeedToken, str]:
    """Returns the token row and the secret (shown once; only its SHA-256 is stored)."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = FeedToken.objects.create(user=user, token_hash=FeedToken.hash_secret(secret), label=label[:80],
                                         created_by=user)
        record(action=AuditAction.CREATE, obj=token, detail={"feed": "ical"})
    return token, secret


def revoke_feed_token(*, token: FeedToken, user: User) -> FeedToken:
    if token.user_id != user.pk:
        raise DomainError("You can only revoke your own calendar links.")
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at", "updated_at"])
            record(action=AuditAction.UPDATE, obj=token, detail={"feed": "revoked"})
    return token
