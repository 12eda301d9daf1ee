"""Units/days used of authorizations: supplied by a higher app through a registry.

Days used are billable days, which the compliance app decides (counted hours against the payer's daily
minimum) - and compliance sits above coverage in the layers. So coverage does not count them: compliance
registers a provider from its `AppConfig.ready()`:

    register_usage_provider(fn)   # fn(authorizations) -> {authorization_id: units_used}

`units_used_for()` returns None when no provider is registered; pages then say "not yet computed". The provider
may also register a cheap upper bound (``bound=``): a function annotating an Authorization queryset with
``units_used_bound``, an integer never below the units the provider would compute. Counters (Today) use it to run
the provider only on authorizations that could be nearly used, instead of on every authorization in force. There
is deliberately no fallback: the only other real source (billed claim lines) lives in billing, also above
coverage, and a guess (e.g. calendar days since the start) would be a fake number a case manager could act on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db.models import QuerySet

UsageProvider = Callable[[Sequence[Any]], dict[int, int]]
UsageBound = Callable[["QuerySet[Any]"], "QuerySet[Any]"]

_provider: UsageProvider | None = None
_bound: UsageBound | None = None


def register_usage_provider(fn: UsageProvider | None, *, bound: UsageBound | None = None) -> None:
    """Register (or with None, remove) the one function computing units used for a batch of authorizations.
    It must run a bounded number of queries whatever the number of authorizations (it is called per page).
    `bound`, if given, annotates an Authorization queryset with ``units_used_bound`` (in SQL), an upper bound of
    what `fn` returns; registering a provider without one removes the previous provider's bound."""
    global _provider, _bound
    _provider = fn
    _bound = bound if fn is not None else None


def usage_provider() -> UsageProvider | None:
    return _provider


def usage_bound() -> UsageBound | None:
    """The registered provider's upper bound (None: none registered, every authorization must be computed)."""
    return _bound


def units_used_for(authorizations: Sequence[Any]) -> dict[int, int] | None:
    """{authorization pk: units used} from the registered provider, or None when none is registered."""
    if _provider is None:
        return None
    if not authorizations:
        return {}
    result = _provider(list(authorizations))
    return {int(k): int(v) for k, v in result.items()}
