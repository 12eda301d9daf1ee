"""Session security: inactivity logout, MFA enforcement, and the active site for the request."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import RedirectView

from trellis.accounts.capabilities import ROLES_READING_PATIENT_DATA, category_capability
from trellis.accounts.policies import may_read_category, roles_of, user_sites
from trellis.accounts.routes import route_category
from trellis.audit.services import AuditAction, record

logger = logging.getLogger("trellis.accounts")

LAST_SEEN_KEY = "trellis_last_seen"
ACTIVE_SITE_KEY = "trellis_active_site"

# Paths a signed-in user can reach before MFA (enrol/verify, sign out, static assets).
MFA_EXEMPT_PREFIXES = ("/accounts/mfa/", "/accounts/logout/", "/static/", "/accounts/login/")


def idle_timeout_seconds(user) -> int:
    org = getattr(user, "organization", None)
    minutes = org.idle_timeout_minutes if org else settings.TRELLIS_IDLE_TIMEOUT_MINUTES
    return max(1, int(minutes)) * 60


class IdleTimeoutMiddleware:
    """Sign out after inactivity (default 15 min): HIPAA §164.312(a)(2)(iii) automatic logoff."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if last_seen is not None and now - int(last_seen) > idle_timeout_seconds(request.user):
                record(action=AuditAction.LOGOUT, object_type="session", detail={"reason": "inactivity"})
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity.")
                return redirect(f"{reverse('accounts:login')}?next={request.path}")
            # Coarse (30 s) so most requests do not rewrite the session row.
            if last_seen is None or now - int(last_seen) >= 30:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)


def mfa_required_for(user) -> bool:
    if getattr(user, "force_mfa", False):
        return True
    if not (roles_of(user) & ROLES_READING_PATIENT_DATA):
        return False
    org = getattr(user, "organization", None)
    if org is not None and org.mfa_relaxed:
        # Dev demo only: users who have enrolled a device are still challenged.
        from django_otp import user_has_device

        return user_has_device(user, confirmed=True)
    return True


class RequireMFAMiddleware:
    """Staff who read patient data must pass TOTP before anything else (django-otp)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not user.is_verified()
            and mfa_required_for(user)
        ):
            from django_otp import user_has_device

            target = "accounts:mfa_verify" if user_has_device(user, confirmed=True) else "accounts:mfa_setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


class RequirePasswordChangeMiddleware:
    """An administrator required a new password: until it is chosen, only that page (and sign-out) opens."""

    ALLOWED = ("/accounts/password/", "/accounts/logout/", "/accounts/mfa/", "/static/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and user.must_change_password and not request.path.startswith(self.ALLOWED):
            return redirect("accounts:password_change")
        return self.get_response(request)


class ActiveSiteMiddleware:
    """request.active_site: the site the user is working at (None = all of the user's sites).

    It also activates that site's time zone (or the user's first site's) for the request, so every date and
    time a page shows or a form reads is the clinic's wall-clock time, never UTC (DESIGN.md §4).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user_sites = []
        request.active_site = None
        if request.user.is_authenticated:
            sites = user_sites(request.user)
            request.user_sites = sites
            chosen = request.session.get(ACTIVE_SITE_KEY)
            if chosen:
                request.active_site = next((s for s in sites if str(s.public_id) == chosen), None)
            zone_site = request.active_site or (sites[0] if sites else None)
            if zone_site is not None:
                from django.utils import timezone

                timezone.activate(zone_site.zone)
                try:
                    return self.get_response(request)
                finally:
                    timezone.deactivate()
        return self.get_response(request)


class DataCategoryMiddleware:
    """The data-category floor under every view (minimum necessary, 45 CFR 164.502(b)).

    Each route declares the category it shows (trellis/accounts/routes.py). A signed-in user whose roles cannot
    read it gets 403 before the view runs, audited; a route that declared no category is refused for everyone
    (deny by default) so a forgotten declaration fails closed rather than open."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict) -> None:
        match = request.resolver_match
        name = match.view_name if match is not None else ""
        # A view may carry its category itself (test-only pages without a URL name); the table is for the site.
        category = route_category(name) or getattr(view_func, "data_category", None)
        redirect_only = getattr(view_func, "redirect_only", False) or issubclass(
            getattr(view_func, "view_class", object), RedirectView)
        if category is None and redirect_only:
            return None  # an old address that only redirects; the target route is checked when it is opened
        if category is None:
            logger.error("route %s declares no data category; add it to trellis/accounts/routes.py", name)
            raise PermissionDenied("This page is not available.")
        if request.user.is_authenticated and not may_read_category(request.user, category):
            record(
                action=AuditAction.DENIED,
                object_type="view",
                object_id=name,
                outcome="denied",
                detail={"category": category, "capability": category_capability(category)},
            )
            raise PermissionDenied("Your role does not allow this.")
        return None
