from __future__ import annotations


class DomainError(Exception):
    """A business rule refused an action. The message says what to fix; `field` names the input at fault."""

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class ConflictError(DomainError):
    """Someone else changed the record first (optimistic concurrency)."""
