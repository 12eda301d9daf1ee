from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Prefetch, QuerySet

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import Credential, SiteMembership, User
from trellis.accounts.policies import sites_with


def staff_for(user: Any) -> QuerySet[User]:
    """Staff with a role at a site the user manages, with roles, profile and credentials (3 queries)."""
    site_ids = [s.pk for s in sites_with(user, Cap.STAFF_MANAGE)]
    return (
        User.objects.filter(organization=user.organization, memberships__site_id__in=site_ids)
        .distinct()
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
