from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from trellis.audit.context import AuditContext, current


def client_ip(request: HttpRequest) -> str | None:
    """The client's address for the audit trail.

    Behind reverse proxies each proxy appends the address it received the request from to X-Forwarded-For, so
    only the right-most entries were written by proxies we run; anything to their left came from the client and
    can be forged. With TRELLIS_TRUSTED_PROXY_COUNT = N (N proxies in front of Trellis), the client is the N-th
    entry from the right (MDN, "X-Forwarded-For: selecting an IP address"). With no trusted proxy the header is
    ignored and the socket's peer address is used.
    """
    trusted = getattr(settings, "TRELLIS_TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "") if trusted > 0 else ""
    if forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= trusted:
            return _valid_ip(hops[-trusted])
        # Fewer hops than proxies: the header was not written by our proxies as configured; do not guess.
    return _valid_ip(request.META.get("REMOTE_ADDR"))


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = AuditContext(
            user=request.user if request.user.is_authenticated else None,
            ip_address=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            path=request.path[:300],
        )
        token = current.set(ctx)
        try:
            return self.get_response(request)
        finally:
            current.reset(token)
