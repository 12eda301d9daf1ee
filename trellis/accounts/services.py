"""Staff, site and organization writes. Audited (who changed whose access is itself security-relevant)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction

from trellis.accounts.models import Credential, Organization, Site, SiteMembership, StaffProfile, User
from trellis.accounts.policies import can_manage_staff_member, forget_cached_capabilities, grantable_roles
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


def update_organization(*, organization: Organization, changed_by: User, **data: Any) -> Organization:
    allowed = {"name", "idle_timeout_minutes", "relax_mfa_in_dev"}
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


def _role_labels(memberships: list[SiteMembership]) -> list[str]:
    return sorted(f"{m.site.code}:{m.role}" for m in memberships)


def _tell(user: User, subject: str, body: str) -> None:
    """E-mail the account holder about a change to their own access (Django's mail backend; console in dev).
    No patient data in subject or body."""
    send_mail(subject, body, None, [user.email], fail_silently=True)


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
) -> User:
    """Create or update a staff member with their profile and roles.

    Access rules (each refused with a message, nothing saved):
    - nobody changes their own roles or deactivates themselves;
    - roles are granted or removed only where the editor may grant them (`grantable_roles`): a director at
      her own sites and at or below her own rank, organization admin only by an organization admin;
    - an existing account is edited only by someone who could grant every role it holds
      (`can_manage_staff_member`), so nobody takes over an account with more access than their own.
    Passwords are never set here: an administrator sends a reset link or forces a reset at next sign-in.
    Every change of roles is audited with the roles before and after, and the account holder is told.
    """
    email = email.strip().lower()
    with transaction.atomic():
        creating = user is None
        if not creating:
            user = User.objects.select_for_update().get(pk=user.pk)
            before = list(SiteMembership.objects.filter(user=user).select_related("site"))
            if user.pk == changed_by.pk:
                wanted_self = {(site.pk, role) for site, role in memberships}
                if wanted_self != {(m.site_id, m.role) for m in before if m.role in grantable_roles(changed_by, m.site_id)}:
                    raise DomainError("You cannot change your own roles; ask another administrator.", field="roles")
                if not is_active:
                    raise DomainError("You cannot deactivate your own account.", field="is_active")
            elif not can_manage_staff_member(changed_by, user, before):
                raise DomainError(
                    "This person holds roles you cannot grant, so an administrator with those roles must change "
                    "their account.",
                )
        else:
            before = []
        for site, role in memberships:
            if role not in grantable_roles(changed_by, site):
                raise DomainError(f"You cannot grant the role {role.replace('_', ' ')} at {site.name}.", field="roles")
        clash = User.objects.filter(email=email).exclude(pk=getattr(user, "pk", None)).exists()
        if clash:
            raise DomainError("Another account already uses this email.", field="email")
        if creating:
            user = User(organization=organization)
            user.set_unusable_password()
        sign_in_changed = not creating and (user.email != email or user.is_active != is_active)
        user.email, user.full_name, user.is_active = email, full_name.strip(), is_active
        user.full_clean(exclude=["password"])
        user.save()
        staff_profile, _ = StaffProfile.objects.get_or_create(user=user)
        for name, value in profile.items():
            setattr(staff_profile, name, value)
        staff_profile.full_clean()
        staff_profile.save()
        # Only the roles this editor may grant are touched; roles at other sites or above her rank stay.
        editable = [m for m in before if m.role in grantable_roles(changed_by, m.site_id)]
        current = {(m.site_id, m.role): m for m in editable}
        wanted = {(site.pk, role) for site, role in memberships}
        removed = [m.pk for key, m in current.items() if key not in wanted]
        SiteMembership.objects.filter(pk__in=removed).delete()
        SiteMembership.objects.bulk_create(
            [SiteMembership(user=user, site_id=sid, role=role) for sid, role in wanted - set(current)]
        )
        after = list(SiteMembership.objects.filter(user=user).select_related("site"))
        forget_cached_capabilities(user)
        roles_changed = _role_labels(before) != _role_labels(after)
        record(
            action=AuditAction.CREATE if creating else AuditAction.UPDATE,
            obj=user,
            detail={
                "target": str(user.public_id),
                "roles_before": _role_labels(before),
                "roles_after": _role_labels(after),
                "sign_in_changed": sign_in_changed,
            },
        )
        if not creating and (roles_changed or sign_in_changed):
            target = user
            transaction.on_commit(lambda: _tell(
                target, "Your Trellis access changed",
                f"{changed_by.full_name} changed your Trellis account: "
                + ", ".join(part for part, changed in (("your roles", roles_changed),
                                                       ("your sign-in details", sign_in_changed)) if changed)
                + ". If you did not expect this, tell your organization's administrator.",
            ))
    return user


def send_password_reset(*, user: User, changed_by: User | None, link_for: Callable[[User, str], str]) -> None:
    """E-mail a single-use, expiring link to choose a new password (Django's token generator: the token is
    bound to the current password hash and last sign-in, so it dies once used, and after
    PASSWORD_RESET_TIMEOUT). `link_for(user, token)` builds the absolute URL. Audited."""
    if changed_by is not None and changed_by.pk != user.pk:
        memberships = list(SiteMembership.objects.filter(user=user))
        if not can_manage_staff_member(changed_by, user, memberships):
            raise DomainError("This person holds roles you cannot grant; an administrator with those roles must "
                              "send the link.")
    token = default_token_generator.make_token(user)
    link = link_for(user, token)
    with transaction.atomic():
        record(action=AuditAction.UPDATE, obj=user,
               detail={"target": str(user.public_id), "credential": "reset_link_sent"})
        transaction.on_commit(lambda: _tell(
            user, "Choose your Trellis password",
            f"Use this link to choose a new password for Trellis. It works once and expires in "
            f"{settings.PASSWORD_RESET_TIMEOUT // 3600} hours:\n\n{link}\n\n"
            "If you did not expect this, tell your organization's administrator.",
        ))


def force_password_reset(*, user: User, changed_by: User) -> User:
    """The account must choose a new password at next sign-in (and any open session asks for it now)."""
    memberships = list(SiteMembership.objects.filter(user=user))
    if not can_manage_staff_member(changed_by, user, memberships):
        raise DomainError("This person holds roles you cannot grant; an administrator with those roles must do "
                          "this.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(must_change_password=True)
        user.must_change_password = True
        record(action=AuditAction.UPDATE, obj=user,
               detail={"target": str(user.public_id), "credential": "reset_forced"})
        transaction.on_commit(lambda: _tell(
            user, "Trellis will ask you for a new password",
            f"{changed_by.full_name} asked that you choose a new Trellis password the next time you sign in.",
        ))
    return user


def set_own_password(*, user: User, password: str, via: str) -> User:
    """The account holder chose a new password (reset link or forced change). Audited; the user is told."""
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        record(action=AuditAction.UPDATE, obj=user, actor=user,
               detail={"target": str(user.public_id), "credential": "password_changed", "via": via})
        transaction.on_commit(lambda: _tell(
            user, "Your Trellis password was changed",
            "Your Trellis password was just changed. If this was not you, tell your administrator at once.",
        ))
    return user


def add_credential(*, user: User, changed_by: User, **data: Any) -> Credential:
    with transaction.atomic():
        credential = Credential(user=user, created_by=changed_by, **data)
        credential.full_clean()
        credential.save()
        record(action=AuditAction.CREATE, obj=credential, detail={"user": str(user.public_id)})
    return credential


def unlock_sign_in(*, user: User, changed_by: User) -> int:
    """Lift a sign-in lockout (django-axes) before it expires, e.g. after confirming the person by phone.
    Only someone who could manage the account may; audited. Returns how many lockout records were cleared."""
    if not can_manage_staff_member(changed_by, user, list(SiteMembership.objects.filter(user=user))):
        raise DomainError("This person holds roles you cannot grant; an administrator with those roles must do "
                          "this.")
    with transaction.atomic():
        cleared = axes_reset(username=user.email.lower())
        record(action=AuditAction.UPDATE, obj=user,
               detail={"target": str(user.public_id), "credential": "lockout_cleared", "records": cleared})
    return cleared
