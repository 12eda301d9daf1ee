from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.db.models import Prefetch, QuerySet

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import Credential, SiteMembership, User


def staff_for(user: User) -> QuerySet[User]:
    """Staff with a role at a site the user manages, with roles, profile and credentials (3 queries)."""
    managed = SiteMembership.objects.restrict(user, Cap.STAFF_MANAGE).values("user_id")
    return (
        User.objects.filter(organization=user.organization, pk__in=managed)
        .select_related("profile", "profile__supervisor")
        .prefetch_related(
            Prefetch("memberships", queryset=SiteMembership.objects.select_related("site").order_by("site__name")),
            Prefetch("credentials", queryset=Credential.objects.order_by("expires_on")),
        )
        .order_by("full_name")
    )


def expiring_credentials(credentials: list[Credential], today: date, within_days: int = 60) -> list[Credential]:
    return [c for c in credentials if c.expires_on <= today + timedelta(days=within_days)]


def roles_by_site_codes(memberships: list[SiteMembership]) -> list[tuple[str, str]]:
    """[(role label, "LAKE, MAIN")] — one line per role instead of one per role and site."""
    grouped: dict[str, list[str]] = {}
    for m in memberships:
        grouped.setdefault(m.get_role_display(), []).append(m.site.code)
    return [(label, ", ".join(sorted(codes))) for label, codes in sorted(grouped.items())]


def address_throttled(ip: str | None, *, now: dt.datetime) -> bool:
    """Has this client failed sign-in TRELLIS_LOCKOUT_IP_FAILURES times within the lockout window, across all
    accounts? (Indexed by address; the throttle itself keeps the rows per address in a window small.)"""
    if not ip:
        return False
    since = now - settings.AXES_COOLOFF_TIME
    failures = AccessFailureLog.objects.filter(ip_address=ip, attempt_time__gte=since)[: settings.TRELLIS_LOCKOUT_IP_FAILURES]
    return failures.count() >= settings.TRELLIS_LOCKOUT_IP_FAILURES


def account_locked(user: User, *, now: dt.datetime) -> bool:
    """Is this account locked by too many failed sign-ins (django-axes, per account)?"""
    since = now - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(
        username=user.email.lower(), attempt_time__gte=since, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).exists()
