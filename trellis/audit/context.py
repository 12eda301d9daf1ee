"""Who is acting and from where, for the current request or task (set by AuditContextMiddleware)."""

from __future__ import annotations

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
