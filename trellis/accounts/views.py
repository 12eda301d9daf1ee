from __future__ import annotations

import base64
import io
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from trellis.accounts import services
from trellis.accounts.forms import EmailLoginForm, TOTPForm
from trellis.accounts.middleware import ACTIVE_SITE_KEY
from trellis.accounts.models import User
from trellis.accounts.policies import login_required_view, user_sites
from trellis.accounts.selectors import address_throttled
from trellis.audit.middleware import client_ip
from trellis.audit.services import AuditAction, record
from trellis.core.access import as_uuid
from trellis.core.clock import now


def _safe_next(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


class TrellisLoginView(LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailLoginForm
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Per-client throttle before any password is checked: one address cannot lock out account after
        # account (the per-account lockout is django-axes').
        if address_throttled(client_ip(request), now=now()):
            record(action=AuditAction.LOGIN_FAILED, object_type="sign_in", outcome="denied",
                   detail={"reason": "address throttled"})
            return render(request, "accounts/locked_out.html", {"throttled": True}, status=429)
        return super().post(request, *args, **kwargs)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)  # the user_logged_out signal writes the audit event
    response = redirect("accounts:login")
    # Ask the browser to drop anything it kept from this session (cache, cookies, storage).
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@login_required_view
def mfa_setup(request: HttpRequest) -> HttpResponse:
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
            return redirect("accounts:mfa_verify")
        device = TOTPDevice.objects.create(user=request.user, name="Authenticator app", confirmed=False)
    form = TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", "Too many wrong codes in a row. Wait a few seconds, then try the newest code.")
        elif device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)

            record(action=AuditAction.UPDATE, obj=request.user, detail={"mfa": "enrolled"})
            messages.success(request, "Two-step sign-in is set up. You will be asked for a code at each sign-in.")
            return redirect(_safe_next(request))
        else:
            form.add_error("token", "That code did not match. Check your phone's clock and try the newest code.")
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    qr_data_uri = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
    secret = base64.b32encode(device.bin_key).decode()
    return render(
        request,
        "accounts/mfa_setup.html",
        {"form": form, "qr_data_uri": qr_data_uri, "secret": secret, "next": _safe_next(request)},
    )


@login_required_view
def mfa_verify(request: HttpRequest) -> HttpResponse:
    form = TOTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_safe_next(request))

        record(action=AuditAction.LOGIN_FAILED, obj=request.user, outcome="failure", detail={"step": "mfa"})
        form.add_error("token", "That code did not match. Try the newest code from your app.")
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _safe_next(request)})


@require_POST
@login_required_view
def switch_site(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("site", "")
    allowed = {str(site.public_id): site for site in user_sites(request.user)}
    if wanted and wanted not in allowed:
        messages.error(request, "You do not work at that site.")
    elif wanted:
        request.session[ACTIVE_SITE_KEY] = wanted
        messages.info(request, f"Now working at {allowed[wanted].name}.")
    else:
        request.session.pop(ACTIVE_SITE_KEY, None)
        messages.info(request, "Showing all of your sites.")
    return redirect(_safe_next(request, default="/"))


@login_required_view
def keepalive(request: HttpRequest) -> HttpResponse:
    """'Stay signed in' from the idle warning: the request itself refreshes the idle clock. Reads no data."""
    return HttpResponse(status=204)


def password_reset_confirm(request: HttpRequest, user_id: Any, token: str) -> HttpResponse:
    """Choose a password from an e-mailed link. The token is single-use and expires (Django's
    PasswordResetTokenGenerator, PASSWORD_RESET_TIMEOUT); an invalid link says what to do instead."""
    user = User.objects.filter(public_id=user_id, is_active=True).first() if as_uuid(user_id) else None
    valid = user is not None and default_token_generator.check_token(user, token)
    form = SetPasswordForm(user, request.POST or None) if valid else None
    if valid and request.method == "POST" and form.is_valid():
        services.set_own_password(user=user, password=form.cleaned_data["new_password1"], via="reset_link")
        messages.success(request, "Your password is set. Sign in with it now.")
        return redirect("accounts:login")
    response = render(request, "accounts/password_set.html", {"form": form, "valid": valid},
                      status=200 if valid or request.method == "GET" else 400)
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to another site through a link
    return response


@login_required_view
def password_change(request: HttpRequest) -> HttpResponse:
    """Change your own password (the only page open while an administrator requires a new one)."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.set_own_password(user=request.user, password=form.cleaned_data["new_password1"],
                                         via="signed_in")
        update_session_auth_hash(request, user)
        messages.success(request, "Your password was changed.")
        return redirect("web:home")
    return render(request, "accounts/password_change.html",
                  {"form": form, "required": request.user.must_change_password},
                  status=400 if request.method == "POST" else 200)
