"""Units/days used of authorizations: supplied by a higher app through a registry.

Days used are billable days, which the compliance app decides (counted hours against the payer's daily
minimum) - and compliance sits above coverage in the layers. So coverage does not count them: compliance
registers a provider from its `AppConfig.ready()`:

    register_usage_provider(fn)   # fn(authorizations) -> {authorization_id: units_used}

`units_used_for()` returns None when no provider is registered; pages then say "not yet computed". There is
deliberately no fallback: the only other real source (billed claim lines) lives in billing, also above
coverage, and a guess (e.g. calendar days since the start) would be a fake number a case manager could act on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

UsageProvider = Callable[[Sequence[Any]], dict[int, int]]

_provider: UsageProvider | None = None


def register_usage_provider(fn: UsageProvider | None) -> None:
    """Register (or with None, remove) the one function computing units used for a batch of authorizations.
    It must run a bounded number of queries whatever the number of authorizations (it is called per page)."""
    global _provider
    _provider = fn


def usage_provider() -> UsageProvider | None:
    return _provider


def units_used_for(authorizations: Sequence[Any]) -> dict[int, int] | None:
    """{authorization pk: units used} from the registered provider, or None when none is registered."""
    if _provider is None:
        return None
    if not authorizations:
        return {}
    result = _provider(list(authorizations))
    return {int(k): int(v) for k, v in result.items()}
