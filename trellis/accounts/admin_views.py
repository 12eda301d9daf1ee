"""Organization, site and staff administration pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from trellis.accounts import selectors, services
from trellis.accounts.capabilities import Cap
from trellis.accounts.forms import CredentialForm, OrganizationForm, SiteForm, StaffForm, TOTPForm
from trellis.accounts.models import RecoveryCodeDevice, Role, Site, User
from trellis.accounts.policies import (
    can_manage_staff_member,
    capability_required,
    grantable_roles,
    login_required_view,
    roles_of,
    sites_with,
)
from trellis.accounts.views import recovery_codes_page
from trellis.core.clock import now
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error


def _apply_errors(form, error: Exception) -> None:
    if isinstance(error, DomainError):
        apply_domain_error(form, error)
    elif isinstance(error, ValidationError):
        if hasattr(error, "error_dict"):
            for field, errs in error.error_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        else:
            form.add_error(None, error.messages)


@capability_required(Cap.ORG_MANAGE)
def organization(request: HttpRequest) -> HttpResponse:
    org = request.user.organization
    form = OrganizationForm(
        request.POST or None,
        initial={"name": org.name, "idle_timeout_minutes": org.idle_timeout_minutes,
                 "relax_mfa_in_dev": org.relax_mfa_in_dev},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(organization=org, changed_by=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Organization settings saved.")
            return redirect("accounts:organization")
    sites = Site.objects.filter(organization=org).order_by("name")
    return render(request, "accounts/organization.html", {"form": form, "org": org, "sites": sites})


@capability_required(Cap.ORG_MANAGE)
def site_edit(request: HttpRequest, site_id=None) -> HttpResponse:
    org = request.user.organization
    site = None
    if site_id is not None:
        site = Site.objects.filter(organization=org, public_id=site_id).first()
        if site is None:
            raise Http404("Not found")
    form = SiteForm(request.POST or None, request.FILES or None, instance=site)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_site(organization=org, site=site, changed_by=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "Site saved.")
            return redirect("accounts:organization")
    return render(request, "accounts/site_form.html", {"form": form, "site": site})


@capability_required(Cap.STAFF_MANAGE)
def staff_list(request: HttpRequest) -> HttpResponse:
    staff = list(selectors.staff_for(request.user))
    today = now().date()
    rows = [
        {
            "user": u,
            "roles": selectors.roles_by_site_codes(list(u.memberships.all())),
            "expiring": selectors.expiring_credentials(list(u.credentials.all()), today),
        }
        for u in staff
    ]
    return render(request, "accounts/staff_list.html", {"rows": rows, "today": today})


def _staff_initial(user: User, sites: list[Site]) -> dict:
    profile = getattr(user, "profile", None)
    initial = {
        "email": user.email, "full_name": user.full_name, "is_active": user.is_active,
        "title": getattr(profile, "title", ""), "credentials": getattr(profile, "credentials", ""),
        "npi": getattr(profile, "npi", ""), "requires_cosign": getattr(profile, "requires_cosign", False),
        "is_physician": getattr(profile, "is_physician", False),
        "supervisor": profile.supervisor.public_id if profile and profile.supervisor else None,
    }
    site_ids = {s.pk for s in sites}
    for m in user.memberships.all():
        if m.site_id in site_ids:
            initial[f"role__{m.site_id}__{m.role}"] = True
    return initial


def _staff_form(request: HttpRequest, member: User | None, data: Any = None) -> StaffForm:
    sites = sites_with(request.user, Cap.STAFF_MANAGE)
    # Your own roles are not yours to change: your own page shows them read-only.
    grantable = {} if member is not None and member.pk == request.user.pk else {
        site.pk: grantable_roles(request.user, site) for site in sites
    }
    initial = _staff_initial(member, sites) if member else {"is_active": True}
    return StaffForm(data, organization=request.user.organization, sites=sites, instance=member, initial=initial,
                     grantable=grantable)


def _staff_page(request: HttpRequest, member: User | None, form: StaffForm, credential_form: CredentialForm,
                status: int = 200) -> HttpResponse:
    memberships = list(member.memberships.select_related("site")) if member else []
    return render(request, "accounts/staff_form.html", {
        "form": form, "member": member, "credential_form": credential_form,
        "is_self": member is not None and member.pk == request.user.pk,
        "can_manage_account": member is not None and can_manage_staff_member(request.user, member, memberships),
        "fixed_roles": [m for m in memberships if m.role not in grantable_roles(request.user, m.site_id)],
        "locked_out": member is not None and selectors.account_locked(member, now=now()),
        "can_reset_mfa": member is not None and Role.ORG_ADMIN in roles_of(request.user)
        and can_manage_staff_member(request.user, member, memberships),
        "mfa_enrolled": member is not None and TOTPDevice.objects.filter(user=member, confirmed=True).exists(),
    }, status=status)


def _member(request: HttpRequest, user_id: Any) -> User:
    member = selectors.staff_for(request.user).filter(public_id=user_id).first()
    if member is None:
        raise Http404("Not found")
    return member


@capability_required(Cap.STAFF_MANAGE)
def staff_edit(request: HttpRequest, user_id=None) -> HttpResponse:
    member = _member(request, user_id) if user_id is not None else None
    form = _staff_form(request, member, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_staff(
                organization=request.user.organization, user=member, changed_by=request.user,
                email=data["email"], full_name=data["full_name"], is_active=data["is_active"],
                profile={k: data[k] for k in ("title", "credentials", "npi", "supervisor", "requires_cosign",
                                              "is_physician")},
                memberships=form.memberships(),
            )
            if member is None:  # a new account chooses its own password through a single-use link
                services.send_password_reset(user=saved, changed_by=request.user,
                                             link_for=lambda u, t: _reset_link(request, u, t))
        except (DomainError, ValidationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{saved.full_name} saved." + (
                " They were sent a link to choose their password." if member is None else ""))
            return redirect("accounts:staff_edit", user_id=saved.public_id)
    return _staff_page(request, member, form, CredentialForm(prefix="cred"))


def _reset_link(request: HttpRequest, user: User, token: str) -> str:
    return request.build_absolute_uri(reverse("accounts:password_reset_confirm",
                                              kwargs={"user_id": user.public_id, "token": token}))


def _staff_action(request: HttpRequest, user_id: Any, action: Callable[[User], None],
                  success: Callable[[User], str]) -> HttpResponse:
    """One shape for the staff page's account buttons: run the service, report, and return to the page.

    A refusal (e.g. a director acting on someone outside her sites) re-renders the page with the reason.
    """
    member = _member(request, user_id)
    try:
        action(member)
    except DomainError as error:
        messages.error(request, error.message)
        return _staff_page(request, member, _staff_form(request, member), CredentialForm(prefix="cred"), status=403)
    messages.success(request, success(member))
    return redirect("accounts:staff_edit", user_id=member.public_id)


@capability_required(Cap.STAFF_MANAGE)
@require_POST
def staff_send_reset(request: HttpRequest, user_id: Any) -> HttpResponse:
    return _staff_action(
        request, user_id,
        lambda member: services.send_password_reset(user=member, changed_by=request.user,
                                                    link_for=lambda u, t: _reset_link(request, u, t)),
        lambda member: f"A single-use link to choose a new password was sent to {member.email}.")


@capability_required(Cap.STAFF_MANAGE)
@require_POST
def staff_unlock(request: HttpRequest, user_id: Any) -> HttpResponse:
    return _staff_action(
        request, user_id,
        lambda member: services.unlock_sign_in(user=member, changed_by=request.user),
        lambda member: f"{member.full_name} can sign in again.")


@capability_required(Cap.STAFF_MANAGE)
@require_POST
def staff_force_reset(request: HttpRequest, user_id: Any) -> HttpResponse:
    return _staff_action(
        request, user_id,
        lambda member: services.force_password_reset(user=member, changed_by=request.user),
        lambda member: f"{member.full_name} will be asked for a new password at the next sign-in.")


@capability_required(Cap.STAFF_MANAGE)
def credential_add(request: HttpRequest, user_id) -> HttpResponse:
    member = selectors.staff_for(request.user).filter(public_id=user_id).first()
    if member is None:
        raise Http404("Not found")
    form = CredentialForm(request.POST or None, prefix="cred")
    if request.method == "POST" and form.is_valid():
        try:
            services.add_credential(user=member, changed_by=request.user, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, "License added.")
            return redirect("accounts:staff_edit", user_id=member.public_id)
    return _staff_page(request, member, _staff_form(request, member), form)


def _profile_page(request: HttpRequest, *, recovery_form: TOTPForm | None = None, status: int = 200) -> HttpResponse:
    recovery = RecoveryCodeDevice.objects.filter(user=request.user, confirmed=True).first()
    return render(request, "accounts/profile.html", {
        "roles": sorted(roles_of(request.user)),
        "mfa_enrolled": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
        "recovery_left": recovery.remaining() if recovery else None,
        "recovery_form": recovery_form or TOTPForm(),
        "memberships": request.user.memberships.select_related("site").order_by("site__name"),
    }, status=status)


@login_required_view
def profile(request: HttpRequest) -> HttpResponse:
    return _profile_page(request)


@require_POST
@login_required_view
def regenerate_recovery_codes(request: HttpRequest) -> HttpResponse:
    """From the profile page, with a current authenticator code: a new set replaces the old one."""
    form = TOTPForm(request.POST)
    if form.is_valid():
        try:
            codes = services.regenerate_recovery_codes(user=request.user, totp_token=form.cleaned_data["token"])
        except DomainError as error:
            form.add_error("token", error.message)
        else:
            return recovery_codes_page(request, codes, continue_to=reverse("accounts:profile"))
    return _profile_page(request, recovery_form=form, status=400)


@capability_required(Cap.STAFF_MANAGE)
@require_POST
def staff_reset_mfa(request: HttpRequest, user_id: Any) -> HttpResponse:
    return _staff_action(
        request, user_id,
        lambda member: services.reset_authenticator(user=member, changed_by=request.user),
        lambda member: f"{member.full_name}'s two-step sign-in was reset; they will set it up again at "
                       "their next sign-in.")
