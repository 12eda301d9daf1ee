"""Sign-in events go to the audit trail (HIPAA §164.312(b) audit controls; §164.308(a)(5)(ii)(C) log-in monitoring)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from trellis.audit.services import AuditAction, record


@receiver(user_logged_in)
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(action=AuditAction.LOGIN, obj=user, actor=user, request=request)


@receiver(user_logged_out)
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None:
        return

    record(action=AuditAction.LOGOUT, obj=user, actor=user, request=request)


@receiver(user_login_failed)
def on_login_failed(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    # The attempted email is not stored verbatim: it may be a mistyped patient-facing address.
    from trellis.accounts.models import User

    user = User.objects.filter(email=str(credentials.get("username", "")).lower()).first()
    record(
        action=AuditAction.LOGIN_FAILED,
        obj=user,
        object_type="user",
        outcome="failure",
        request=request,
        detail={"known_account": user is not None},
    )
