"""ICD-10-CM validation and search (pure; no database).

Source of the code set: the `simple-icd-10-cm` package (1.5.0 bundles the FY2026
ICD-10-CM tabular list published by CMS/NCHS, 98,505 items incl. chapters and
blocks). A *billable* code is a leaf of the tabular hierarchy (ICD-10-CM Official
Guidelines for Coding and Reporting, Section I.B.2 "Level of Detail in Coding":
a code is invalid if it has not been coded to the full number of characters
required).

Codes are stored with the dot ("F33.1"); X12 claims drop it (see
docs/code-sets.md).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

import simple_icd_10_cm as _cm

CODE_SET_NAME = "ICD-10-CM"
CODE_SET_VERSION = "FY2026 (simple-icd-10-cm 1.5.0)"

# A well-formed ICD-10-CM code: letter, digit, alnum, optional dot + up to 4 alnum.
_CODE_RE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")
MAX_RESULTS = 50


@dataclass(frozen=True, slots=True)
class Icd10Code:
    code: str
    description: str
    billable: bool


class InvalidCode(ValueError):
    """Raised with a message that tells the user what to fix."""


def normalize(raw: str) -> str:
    """Upper-case, strip spaces and put the dot in the right place ("f331" -> "F33.1")."""
    text = (raw or "").strip().upper().replace(" ", "")
    if not text:
        return ""
    if text.count(".") > 1 or ("." in text and text.index(".") != 3):
        return text  # malformed; left as typed so that validation rejects it
    text = text.replace(".", "")
    if len(text) > 3:
        text = f"{text[:3]}.{text[3:]}"
    return text


def _is_code_item(code: str) -> bool:
    # Chapters ("5") and blocks ("F30-F39") are valid items in the package but not codes.
    return bool(_CODE_RE.match(code)) and _cm.is_valid_item(code) and not _cm.is_chapter_or_block(code)


def is_valid(raw: str) -> bool:
    return _is_code_item(normalize(raw))


def is_billable(raw: str) -> bool:
    code = normalize(raw)
    return _is_code_item(code) and _cm.is_leaf(code)


def describe(raw: str) -> str:
    code = normalize(raw)
    if not _is_code_item(code):
        raise InvalidCode(f'"{raw}" is not an ICD-10-CM code.')
    return _cm.get_description(code)


def lookup(raw: str) -> Icd10Code | None:
    code = normalize(raw)
    if not _is_code_item(code):
        return None
    return Icd10Code(code=code, description=_cm.get_description(code), billable=_cm.is_leaf(code))


def validate(raw: str, *, require_billable: bool = True) -> Icd10Code:
    """Return the code or raise InvalidCode with a message saying what to fix."""
    if not (raw or "").strip():
        raise InvalidCode("Enter an ICD-10-CM code.")
    item = lookup(raw)
    if item is None:
        raise InvalidCode(
            f'"{raw.strip()}" is not a valid ICD-10-CM code ({CODE_SET_VERSION}). '
            "Search by code or description and pick a code from the list."
        )
    if require_billable and not item.billable:
        children = ", ".join(_cm.get_children(item.code)[:5])
        raise InvalidCode(
            f"{item.code} is a category, not a billable code: add more characters "
            f"(for example {children})."
        )
    return item


@lru_cache(maxsize=1)
def _index() -> tuple[tuple[str, str, str, bool], ...]:
    """(code, CODE-without-dot, normalized description, billable) for every code, built once. The
    description is lower-case words separated by single spaces with a leading space, so that a query
    word matches the start of a word (" panic" does not match "tympanic")."""
    rows = []
    for code in _cm.get_all_codes(True):
        if _cm.is_chapter_or_block(code):
            continue
        desc = " " + re.sub(r"[^a-z0-9]+", " ", _cm.get_description(code).lower())
        rows.append((code, code.replace(".", ""), desc, _cm.is_leaf(code)))
    return tuple(rows)


@lru_cache(maxsize=1)
def _by_bare() -> tuple[list[str], list[tuple[str, bool]]]:
    """Codes sorted by their dot-less form, for prefix search by bisection."""
    rows = sorted((bare, code, leaf) for code, bare, _desc, leaf in _index())
    return [r[0] for r in rows], [(r[1], r[2]) for r in rows]


def search(query: str, *, limit: int = 20, billable_only: bool = False) -> list[Icd10Code]:
    """Codes starting with the query (when it looks like a code), else codes whose description contains
    every word of the query. At most `limit` (capped at MAX_RESULTS) results."""
    limit = max(1, min(limit, MAX_RESULTS))
    q = (query or "").strip()
    if len(q) < 2:
        return []
    results: list[Icd10Code] = []
    prefix = q.upper().replace(".", "").replace(" ", "")
    if re.match(r"^[A-Z][0-9]", prefix):
        keys, items = _by_bare()
        i = bisect.bisect_left(keys, prefix)
        while i < len(keys) and keys[i].startswith(prefix) and len(results) < limit:
            code, leaf = items[i]
            if leaf or not billable_only:
                results.append(Icd10Code(code, _cm.get_description(code), leaf))
            i += 1
        return results
    words = [f" {w}" for w in re.split(r"[^a-z0-9]+", q.lower()) if w]
    for code, _bare, desc, leaf in _index():
        if billable_only and not leaf:
            continue
        if all(w in desc for w in words):
            results.append(Icd10Code(code, _cm.get_description(code), leaf))
            if len(results) >= limit:
                break
    return results
