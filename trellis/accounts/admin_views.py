"""Organization, site and staff administration pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from trellis.accounts import selectors, services
from trellis.accounts.capabilities import Cap
from trellis.accounts.forms import CredentialForm, OrganizationForm, SiteForm, StaffForm
from trellis.accounts.models import Site, User
from trellis.accounts.policies import capability_required, login_required_view, roles_of, sites_with
from trellis.core.clock import now
from trellis.core.errors import DomainError


def _apply_errors(form, error: Exception) -> None:  # noqa: ANN001
    if isinstance(error, DomainError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
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
def site_edit(request: HttpRequest, site_id=None) -> HttpResponse:  # noqa: ANN001
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


@capability_required(Cap.STAFF_MANAGE)
def staff_edit(request: HttpRequest, user_id=None) -> HttpResponse:  # noqa: ANN001
    sites = sites_with(request.user, Cap.STAFF_MANAGE)
    member = None
    if user_id is not None:
        member = selectors.staff_for(request.user).filter(public_id=user_id).first()
        if member is None:
            raise Http404("Not found")
    initial = _staff_initial(member, sites) if member else {"is_active": True}
    form = StaffForm(request.POST or None, organization=request.user.organization, sites=sites,
                     instance=member, initial=initial)
    credential_form = CredentialForm(prefix="cred")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = services.save_staff(
                organization=request.user.organization, user=member, changed_by=request.user,
                email=data["email"], full_name=data["full_name"], is_active=data["is_active"],
                password=data["password"] or None,
                profile={k: data[k] for k in ("title", "credentials", "npi", "supervisor", "requires_cosign",
                                              "is_physician")},
                memberships=form.memberships(), manageable_sites=sites,
            )
        except (DomainError, ValidationError) as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{saved.full_name} saved.")
            return redirect("accounts:staff_edit", user_id=saved.public_id)
    return render(request, "accounts/staff_form.html",
                  {"form": form, "member": member, "credential_form": credential_form})


@capability_required(Cap.STAFF_MANAGE)
def credential_add(request: HttpRequest, user_id) -> HttpResponse:  # noqa: ANN001
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
    sites = sites_with(request.user, Cap.STAFF_MANAGE)
    staff_form = StaffForm(organization=request.user.organization, sites=sites, instance=member,
                           initial=_staff_initial(member, sites))
    return render(request, "accounts/staff_form.html",
                  {"form": staff_form, "member": member, "credential_form": form}, status=200)


@login_required_view
def profile(request: HttpRequest) -> HttpResponse:
    from django_otp import user_has_device

    return render(request, "accounts/profile.html", {
        "roles": sorted(roles_of(request.user)),
        "mfa_enrolled": user_has_device(request.user, confirmed=True),
        "memberships": request.user.memberships.select_related("site").order_by("site__name"),
    })
