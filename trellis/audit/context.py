"""Who is acting and from where, for the current request or task (set by AuditContextMiddleware)."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass
class AuditContext:
    user: Any = None
    ip_address: str | None = None
    user_agent: str = ""
    path: str = ""
    # Set by AuditContextMiddleware: events recorded in this request are sealed once, after the response.
    seal_after_response: bool = False
    seal_due: bool = False


current: ContextVar[AuditContext | None] = ContextVar("trellis_audit_context", default=None)


# Roles belong to accounts, a layer above audit: accounts registers how to read a user's roles at start-up
# (AccountsConfig.ready), so the audit writer records them without importing accounts.
_roles_resolver: Callable[[Any], str] | None = None


def register_roles_resolver(resolver: Callable[[Any], str]) -> None:
    global _roles_resolver
    _roles_resolver = resolver


def roles_label(user: Any) -> str:
    return _roles_resolver(user) if _roles_resolver is not None and user is not None else ""
