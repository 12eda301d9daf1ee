"""Staff, site and organization writes. Audited (who changed whose access is itself security-relevant)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from trellis.accounts.models import Credential, Organization, Site, SiteMembership, StaffProfile, User
from trellis.accounts.policies import forget_cached_capabilities
from trellis.accounts.signals import organization_created
from trellis.audit.services import AuditAction, record
from trellis.core.errors import DomainError

SITE_FIELDS = (
    "name", "code", "address_line1", "address_line2", "city", "state", "postal_code", "time_zone", "phone", "npi",
    "tax_id", "opens_at", "closes_at", "display_name", "accent_color", "welcome_text", "logo",
)


def save_site(*, organization: Organization, site: Site | None, changed_by: User, **data: Any) -> Site:
    unknown = set(data) - set(SITE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown site fields: {sorted(unknown)}")
    with transaction.atomic():
        creating = site is None
        site = site or Site(organization=organization, created_by=changed_by)
        for name, value in data.items():
            setattr(site, name, value)
        site.full_clean()
        site.save()
        record(action=AuditAction.CREATE if creating else AuditAction.UPDATE, obj=site,
               detail={"fields": sorted(data)})
    return site


ORGANIZATION_FIELDS = ("name", "idle_timeout_minutes", "relax_mfa_in_dev")


def create_organization(*, name: str, created_by: User | None = None, **data: Any) -> Organization:
    """A new organization. Sends ``organization_created`` in the same transaction, so every app that installs
    per-organization defaults (note templates...) does so before anyone can use it."""
    unknown = set(data) - set(ORGANIZATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown organization fields: {sorted(unknown)}")
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the organization a name.", field="name")
    with transaction.atomic():
        organization = Organization(name=name, created_by=created_by, **data)
        organization.full_clean()
        organization.save()
        record(action=AuditAction.CREATE, obj=organization, actor=created_by, detail={"fields": sorted(data)})
        organization_created.send(sender=Organization, organization=organization, created_by=created_by)
    return organization


def update_organization(*, organization: Organization, changed_by: User, **data: Any) -> Organization:
    allowed = set(ORGANIZATION_FIELDS)
    if set(data) - allowed:
        raise TypeError(f"Unknown organization fields: {sorted(set(data) - allowed)}")
    if "idle_timeout_minutes" in data and not 1 <= int(data["idle_timeout_minutes"]) <= 60:
        raise DomainError("Choose an inactivity timeout between 1 and 60 minutes.", field="idle_timeout_minutes")
    with transaction.atomic():
        for name, value in data.items():
            setattr(organization, name, value)
        organization.full_clean()
        organization.save()
        record(action=AuditAction.UPDATE, obj=organization, detail={"fields": sorted(data)})
    return organization


def save_staff(
    *,
    organization: Organization,
    user: User | None,
    changed_by: User,
    email: str,
    full_name: str,
    is_active: bool = True,
    profile: dict[str, Any],
    memberships: set[tuple[Site, str]],
    manageable_sites: list[Site],
    password: str | None = None,
) -> User:
    """Create or update a staff member with their profile and roles.

    Roles are only touched at `manageable_sites` (where the editor holds STAFF_MANAGE): a site director
    cannot grant or remove access at another site.
    """
    email = email.strip().lower()
    managed_ids = {s.pk for s in manageable_sites}
    for site, _ in memberships:
        if site.pk not in managed_ids:
            raise DomainError(f"You cannot assign roles at {site.name}.", field="roles")
    if user is not None and user.pk == changed_by.pk and not is_active:
        raise DomainError("You cannot deactivate your own account.", field="is_active")
    with transaction.atomic():
        clash = User.objects.filter(email=email).exclude(pk=getattr(user, "pk", None)).exists()
        if clash:
            raise DomainError("Another account already uses this email.", field="email")
        creating = user is None
        if creating:
            user = User(organization=organization)
        user.email, user.full_name, user.is_active = email, full_name.strip(), is_active
        if password:
            user.set_password(password)
        elif creating:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save()
        staff_profile, _ = StaffProfile.objects.get_or_create(user=user)
        for name, value in profile.items():
            setattr(staff_profile, name, value)
        staff_profile.full_clean()
        staff_profile.save()
        current = {
            (m.site_id, m.role): m for m in SiteMembership.objects.filter(user=user, site_id__in=managed_ids)
        }
        wanted = {(site.pk, role) for site, role in memberships}
        removed = [m.pk for key, m in current.items() if key not in wanted]
        SiteMembership.objects.filter(pk__in=removed).delete()
        added = [SiteMembership(user=user, site_id=sid, role=role) for sid, role in wanted - set(current)]
        SiteMembership.objects.bulk_create(added)
        if user.pk == changed_by.pk:
            forget_cached_capabilities(changed_by)
        record(
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            obj=user,
            detail={
                "roles_added": sorted(f"{sid}:{role}" for sid, role in wanted - set(current)),
                "roles_removed": len(removed),
            },
        )
    return user


def add_credential(*, user: User, changed_by: User, **data: Any) -> Credential:
    with transaction.atomic():
        credential = Credential(user=user, created_by=changed_by, **data)
        credential.full_clean()
        credential.save()
        record(action=AuditAction.CREATE, obj=credential, detail={"user": str(user.public_id)})
    return credential
