"""The one answer every policy gives: allowed or not, and why not.

A Decision is truthy when allowed, so `if can_sign(user, note):` reads naturally, and its reason is what
the person is told when the answer is no (a 403 page, a disabled button's title, a form message).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def deny(reason: str) -> Decision:
    return Decision(False, reason)
