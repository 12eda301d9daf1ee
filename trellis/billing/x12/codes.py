"""CARC/RARC descriptions from the versioned code list in data/adjustment_codes.json (names its source)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_PATH = Path(__file__).with_name("data") / "adjustment_codes.json"


@dataclass(frozen=True)
class CodeInfo:
    code: str
    description: str
    confirmed: bool
    next_step: str = ""
    known: bool = True

    @property
    def label(self) -> str:
        suffix = "" if self.confirmed else " (description to confirm)"
        return f"{self.code}: {self.description}{suffix}"


@cache
def code_list() -> dict:
    with _PATH.open(encoding="utf-8") as fh:
        return json.load(fh)


def version() -> str:
    return code_list()["version"]


def source() -> str:
    return code_list()["source"]


def _lookup(table: str, code: str) -> CodeInfo:
    entry = code_list()[table].get(code.strip().upper())
    if entry is None:
        return CodeInfo(code, f"unknown code (not in Trellis list version {version()})", False, known=False)
    return CodeInfo(code, entry["description"], entry.get("confirmed", False), entry.get("next_step", ""))


def carc(code: str) -> CodeInfo:
    return _lookup("carc", code)


def rarc(code: str) -> CodeInfo:
    return _lookup("rarc", code)


def plb_reason(code: str) -> CodeInfo:
    return _lookup("plb", code)
