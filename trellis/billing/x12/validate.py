"""Validation of a whole X12 file against its implementation guide with pyx12 (the independent reference).

pyx12 picks the guide from GS08 (005010X222A1, 005010X223A2, 005010X221A1). It checks structure, counts and
internal code values; it does not check NPI check digits, claim totals, diagnosis pointers or external code
sets (see shared notes): the billing scrubber does those.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from io import StringIO

import pyx12.error_handler
import pyx12.params
import pyx12.x12n_document

# pyx12 logs every error it finds at ERROR level; the result object carries them instead.
logging.getLogger("pyx12").setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class ValidationResult:
    valid: bool
    errors: tuple[str, ...]


def validate_x12(content: str) -> ValidationResult:
    params = pyx12.params.params()
    fd_json = StringIO()
    fd_997 = StringIO()
    try:
        ok = pyx12.x12n_document.x12n_document(
            param=params, src_file=StringIO(content), fd_997=fd_997, fd_html=None, fd_xmldoc=None,
            fd_json=fd_json,
        )
    except Exception as exc:  # noqa: BLE001 - pyx12 raises on some broken envelopes and on 835 999s
        # pyx12 4.0.0 crashes building a 999 for some 835s after a correct verdict; re-run without the 999.
        try:
            ok = pyx12.x12n_document.x12n_document(
                param=params, src_file=StringIO(content), fd_997=None, fd_html=None, fd_xmldoc=None,
                fd_json=StringIO(),
            )
        except Exception as exc2:  # noqa: BLE001
            return ValidationResult(False, (f"pyx12 could not read the file: {exc2 or exc}",))
    errors = tuple(_errors(fd_json.getvalue()))
    return ValidationResult(bool(ok), errors if not ok else ())


def _errors(raw: str) -> list[str]:
    out: list[str] = []
    try:
        tree = json.loads(raw) if raw.strip() else None
    except ValueError:
        return [raw[:500]] if raw else []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "err_cde" in node and "err_str" in node:
                out.append(f"{node.get('err_cde')}: {node.get('err_str')}"
                           + (f" ({node.get('err_val')})" if node.get("err_val") else ""))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(tree)
    return out
