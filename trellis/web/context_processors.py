"""The ``shell`` template context: everything web/base.html needs around a page.

Cost: computed once per request and cached on the request. For a signed-in
user it reads the site memberships through ``trellis.accounts.policies``
(one query, itself cached per request and shared with every view's policy
checks) and the user's organization (one query, usually already loaded by the
idle-timeout middleware). Anonymous requests cost no query.
"""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest

from trellis.accounts.capabilities import Cap
from trellis.accounts.middleware import idle_timeout_seconds
from trellis.accounts.models import Role
from trellis.accounts.policies import has_capability, roles_of, user_sites

DEFAULT_ACCENT = "#0f5e54"
_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_CACHE_ATTR = "_trellis_shell"
DARK_TEXT = "#1b1f24"
LIGHT_TEXT = "#ffffff"


def _luminance(hex_color: str) -> float:
    """WCAG 2.1 relative luminance of #rgb / #rrggbb."""
    h = hex_color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def accent_pair(color: str | None) -> tuple[str, str]:
    """(accent, text colour on it). Invalid colours fall back to the default accent.

    The text colour is whichever of white / near-black contrasts more, so a
    site's brand colour never produces unreadable buttons or top bar text.
    """
    accent = color if color and _HEX.match(color) else DEFAULT_ACCENT
    fg = LIGHT_TEXT if contrast_ratio(accent, LIGHT_TEXT) >= contrast_ratio(accent, DARK_TEXT) else DARK_TEXT
    return accent, fg


def _site_label(site: Any) -> str:
    return getattr(site, "display_name", "") or getattr(site, "name", "") or ""


def _brand(active_site: Any, sites: list[Any], organization: Any) -> dict[str, Any]:
    # Branding follows the active site; a user of a single site always sees that site's brand.
    site = active_site or (sites[0] if len(sites) == 1 else None)
    org_name = getattr(organization, "name", "") or ""
    if site is not None:
        accent, fg = accent_pair(getattr(site, "accent_color", None))
        logo = getattr(site, "logo", None)
        try:
            logo_url = logo.url if logo else ""
        except ValueError:  # no file associated
            logo_url = ""
        name = _site_label(site)
        return {
            "name": name,
            "site_label": org_name if org_name and org_name != name else "",
            "accent": accent,
            "accent_contrast": fg,
            "logo_url": logo_url,
            "welcome_text": getattr(site, "welcome_text", "") or "",
        }
    accent, fg = accent_pair(None)
    return {
        "name": org_name or "Trellis",
        "site_label": "",
        "accent": accent,
        "accent_contrast": fg,
        "logo_url": "",
        "welcome_text": "",
    }


def _initials(name: str) -> str:
    words = [w for w in name.replace("@", " ").replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    return (words[0][0] + (words[-1][0] if len(words) > 1 else "")).upper()


def _roles_display(user: Any, sites: list[Any]) -> list[str]:
    labels = dict(Role.choices)
    lines = []
    for site in sites:
        for role in sorted(roles_of(user, site)):
            lines.append(f"{labels.get(role, role)} · {_site_label(site)}")
    return lines


def build_shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return {
            "authenticated": False,
            "user_sites": [],
            "active_site": None,
            "nav_items": [],
            "idle_timeout_seconds": "",
            "roles": [],
            "can_search_patients": False,
            "brand": _brand(None, [], None),
            "user": {},
        }

    from trellis.web.navigation import nav_items_for

    sites = getattr(request, "user_sites", None)
    if sites is None:  # middleware did not run (e.g. an error raised before it)
        sites = user_sites(user)
    active_site = getattr(request, "active_site", None)
    organization = getattr(user, "organization", None)
    name = getattr(user, "display_name", "") or getattr(user, "email", "")
    return {
        "authenticated": True,
        "user_sites": sites,
        "active_site": active_site,
        "nav_items": nav_items_for(user, request.path, in_chart=_in_chart(request)),
        "idle_timeout_seconds": idle_timeout_seconds(user),
        "roles": _roles_display(user, sites),
        "can_search_patients": has_capability(user, Cap.PATIENT_VIEW),
        "brand": _brand(active_site, sites, organization),
        "user": {"name": name, "initials": _initials(name), "email": getattr(user, "email", "")},
    }


def shell(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``{"shell": {...}}``, computed once per request."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        cached = build_shell(request)
        setattr(request, _CACHE_ATTR, cached)
    return {"shell": cached}


def _in_chart(request: HttpRequest) -> bool:
    """Chart tabs live under their own apps' URLs; while in a chart, "Patients" is the current section."""
    match = getattr(request, "resolver_match", None)
    return bool(match and "patient_id" in match.kwargs)
