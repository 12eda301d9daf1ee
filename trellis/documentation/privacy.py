"""Keeping other patients out of a patient's record (pure).

A group note's shared section is copied into every attendee's chart, and each individualized section into that
patient's chart. A name typed into either would disclose to one patient's record that another person attended
the group: 45 CFR 164.502(b) (minimum necessary) and, for SUD programs, 42 CFR 2.13 (no disclosure that
identifies a patient without consent). So signing refuses text that names another patient of the session.
Matching is by whole word and case-sensitive (first, last and preferred names of three letters or more).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MIN_NAME_LENGTH = 3


def strings_in(value: Any) -> list[str]:
    """Every string inside a content value (sections, fields, risk blocks, medication rows)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in strings_in(v)]
    return []


def name_tokens(names: Iterable[str]) -> set[str]:
    out = set()
    for name in names:
        name = (name or "").strip()
        if len(name) >= MIN_NAME_LENGTH:
            out.add(name)
    return out


def names_found(content: Any, names: Iterable[str]) -> list[str]:
    """The names (from ``names``) that appear as whole words in any string of ``content``, sorted."""
    tokens = name_tokens(names)
    if not tokens:
        return []
    text = "\n".join(strings_in(content))
    return sorted(t for t in tokens if re.search(rf"(?<!\w){re.escape(t)}(?!\w)", text))
