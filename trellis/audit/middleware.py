from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from trellis.audit.context import AuditContext, current
from trellis.audit.sealing import seal_after_response


def client_ip(request: HttpRequest) -> str | None:
    # Behind the reverse proxy (README, deployment) the proxy sets X-Forwarded-For; trust its first hop only there.
    from django.conf import settings

    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


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
        ctx.seal_after_response = True
        token = current.set(ctx)
        try:
            response = self.get_response(request)
        finally:
            current.reset(token)
        if ctx.seal_due:
            # One seal run for all the events of this request, once the response has been sent (Django runs
            # a response's closers after the last byte, before the request's database connection is released).
            response._resource_closers.append(seal_after_response)  # noqa: SLF001
        return response
