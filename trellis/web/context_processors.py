"""Minimal shell context (the web helper replaces this with the full version)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def shell(request: HttpRequest) -> dict[str, Any]:
    from trellis.accounts.middleware import idle_timeout_seconds
    from trellis.web.navigation import nav_items_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"shell": {"authenticated": False}}
    return {
        "shell": {
            "authenticated": True,
            "user_sites": getattr(request, "user_sites", []),
            "active_site": getattr(request, "active_site", None),
            "nav_items": nav_items_for(user, request.path),
            "idle_timeout_seconds": idle_timeout_seconds(user),
        }
    }
