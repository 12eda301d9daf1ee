"""Who may do what, where. Every view asks here; the answer is cached on the user for one request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver

from trellis.accounts.capabilities import ROLE_RANK, STAFF_ADMIN_ROLES, capabilities_of, category_capability
from trellis.accounts.routes import route_category
from trellis.audit.services import AuditAction, record
from trellis.core.policy import ALLOW, Decision, deny

_CACHE_ATTR = "_trellis_site_caps"


def _site_caps(user: Any) -> dict[int, tuple[Any, set[str], set[str]]]:
    """site pk -> (site, capabilities, roles) for an authenticated user, loaded once per request."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return {}
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from trellis.accounts.models import SiteMembership

    result: dict[int, tuple[Any, set[str], set[str]]] = {}
    for membership in SiteMembership.objects.filter(user=user).select_related("site", "site__organization"):
        site, caps, roles = result.setdefault(membership.site_id, (membership.site, set(), set()))
        caps |= capabilities_of(membership.role)
        roles.add(membership.role)
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_cached_capabilities(user: Any) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def has_capability(user: Any, capability: str, site: Any = None) -> bool:
    entries = _site_caps(user)
    if site is not None:
        entry = entries.get(getattr(site, "pk", site))
        return bool(entry and capability in entry[1])
    return any(capability in caps for _, caps, _ in entries.values())


def may_read_category(user: Any, category: str, site: Any = None) -> bool:
    """Whether the user's roles (at `site`, or anywhere) may read this data category."""
    capability = category_capability(category)
    return capability is None or has_capability(user, capability, site)


def may_open_route(user: Any, url_name: str, site: Any = None) -> bool:
    """Whether the route's declared data category is readable by the user (False for undeclared routes)."""
    category = route_category(url_name)
    return category is not None and may_read_category(user, category, site)


def decide(user: Any, capability: str, site: Any = None, *, to: str) -> Decision:
    """A capability check as a Decision whose reason says what the role may not do ("to" completes
    "Your role does not allow you to ...")."""
    if has_capability(user, capability, site):
        return ALLOW
    where = f" at {site.name}" if getattr(site, "name", None) else ""
    return deny(f"Your role{where} does not allow you to {to}.")


def sites_with(user: Any, capability: str) -> list[Any]:
    return sorted(
        (site for site, caps, _ in _site_caps(user).values() if capability in caps), key=lambda s: s.name
    )


def user_sites(user: Any) -> list[Any]:
    return sorted((site for site, _, _ in _site_caps(user).values()), key=lambda s: s.name)


def roles_of(user: Any, site: Any = None) -> set[str]:
    entries = _site_caps(user)
    if site is not None:
        entry = entries.get(getattr(site, "pk", site))
        return set(entry[2]) if entry else set()
    return set().union(*(roles for _, _, roles in entries.values())) if entries else set()


def capability_required(capability: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """View decorator: signed-in user holding `capability` at one or more sites, else 403 (audited).

    Site scope of a particular object is checked when it is loaded (trellis.core.access).
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, capability):
                record(
                    action=AuditAction.DENIED,
                    object_type="view",
                    object_id=getattr(request.resolver_match, "view_name", "") or "",
                    outcome="denied",
                    detail={"capability": capability},
                )
                raise PermissionDenied("Your role does not allow this.")
            return view(request, *args, **kwargs)

        wrapped.required_capability = capability  # type: ignore[attr-defined]
        return wrapped

    return decorator


# --- Buttons and links from the view's own check: `may_open(user, "patients:create")` answers from the capability the
# view declared with `capability_required` (its `required_capability`), so a template shows a button exactly
# when the view behind it would not answer 403. Site-specific rules stay with the view (and its policies).
_UNDECLARED = object()
_VIEWS_BY_NAME: dict[str, Any] | None = None


def _views_by_name() -> dict[str, Any]:
    global _VIEWS_BY_NAME
    if _VIEWS_BY_NAME is None:
        found: dict[str, Any] = {}

        def walk(patterns: list[Any], namespace: str) -> None:
            for p in patterns:
                if isinstance(p, URLResolver):
                    walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
                elif isinstance(p, URLPattern) and p.name:
                    found.setdefault(f"{namespace}{p.name}", p.callback)

        walk(get_resolver().url_patterns, "")
        _VIEWS_BY_NAME = found
    return _VIEWS_BY_NAME


def view_capability(url_name: str) -> Any:
    """The capability the view behind `url_name` requires (None: any signed-in user); raises LookupError for a
    URL name that does not exist, so a typo in a template fails loudly in tests."""
    view = _views_by_name().get(url_name)
    if view is None:
        raise LookupError(f"No URL named {url_name!r}")
    return getattr(view, "required_capability", _UNDECLARED)


def may_open(user: Any, url_name: str) -> bool:
    """Would `url_name` let `user` in: the data-category floor (DataCategoryMiddleware) and the view's own
    capability (the decorator's check), at any of their sites?"""
    if not getattr(user, "is_authenticated", False):
        return False
    category = route_category(url_name)
    if category is not None and not may_read_category(user, category):
        return False
    capability = view_capability(url_name)
    if capability is None or capability is _UNDECLARED:
        return True
    return has_capability(user, capability)


def login_required_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For pages any signed-in staff member may open (dashboard, own profile)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    wrapped.required_capability = None  # type: ignore[attr-defined]
    return wrapped


def lockout_username(request: Any, credentials: dict | None) -> str:
    """django-axes key: the sign-in email, case-folded so 'A@x' and 'a@x' share one failure count."""
    source = credentials or getattr(request, "POST", {}) or {}
    return str(source.get("username", "")).strip().lower()


def grantable_roles(editor: Any, site: Any) -> set[str]:
    """Roles `editor` may grant or remove at `site`: at or below her own rank there, and organization admin
    only by an organization admin. Nothing at a site where she administers no staff."""
    own = roles_of(editor, site) & STAFF_ADMIN_ROLES
    if not own:
        return set()
    rank = max(ROLE_RANK[r] for r in own)
    return {role for role, r in ROLE_RANK.items() if r <= rank and (r < 3 or "org_admin" in own)}


def can_manage_staff_member(editor: Any, target: Any, memberships: list[Any]) -> bool:
    """May `editor` change `target`'s account (identity, sign-in, activation)? Only if every role the target
    holds anywhere is one the editor could grant at that site; otherwise a director could take over an
    account with more access than her own (by changing its e-mail and sending a reset)."""
    if target.pk == editor.pk:
        return False
    return all(m.role in grantable_roles(editor, m.site_id) for m in memberships)
