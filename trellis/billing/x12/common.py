"""Shared X12 5010 plumbing: delimiters, element formatting, segment assembly and the ISA/GS envelope.

Source: ASC X12 005010 envelope rules as used by the HIPAA implementation guides (ISA is fixed width: 106
characters with the delimiters; ISA13 = IEA02, GS06 = GE02, ST02 = SE02; SE01 counts ST..SE inclusive;
GE01 counts transaction sets; IEA01 counts functional groups).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

ELEMENT_SEP = "*"
COMPONENT_SEP = ":"
REPETITION_SEP = "^"
SEGMENT_TERMINATOR = "~"

_DELIMITERS = re.compile(r"[*:^~\r\n]")
# X12 extended character set (ASC X12 005010 syntax, character sets): printable ASCII only.
_NOT_X12 = re.compile(r"[^\x20-\x7e]")
_SPACES = re.compile(r"\s+")


class X12BuildError(ValueError):
    """Input that cannot be written as a valid X12 element (says which field and what to fix)."""


def text(value: object, *, field: str, max_len: int | None = None, required: bool = True) -> str:
    """A free-text or identifier element: delimiters removed, whitespace collapsed, upper case, length-capped."""
    raw = "" if value is None else str(value)
    # Transliterate accented letters (TOMÁS -> TOMAS); anything else outside the X12 set becomes a space.
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    cleaned = _SPACES.sub(" ", _NOT_X12.sub(" ", _DELIMITERS.sub(" ", ascii_text))).strip().upper()
    if required and not cleaned:
        raise X12BuildError(f"{field} is empty: fill it in before building the claim file.")
    if max_len is not None:
        cleaned = cleaned[:max_len].rstrip()
    return cleaned


def amount(value: Decimal | int | str, *, field: str) -> str:
    """X12 decimal (R): no trailing zeros, no trailing point, no plus sign ('150.00' -> '150', '12.50' -> '12.5')."""
    try:
        dec = Decimal(str(value)).quantize(Decimal("0.01"))
    except Exception as exc:  # noqa: BLE001 - any parse failure is bad input
        raise X12BuildError(f"{field} is not an amount: {value!r}.") from exc
    out = format(dec, "f")
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    if out in ("-0", ""):
        out = "0"
    return out


def quantity(value: Decimal | int | str, *, field: str) -> str:
    try:
        dec = Decimal(str(value))
    except Exception as exc:  # noqa: BLE001
        raise X12BuildError(f"{field} is not a number: {value!r}.") from exc
    if dec <= 0:
        raise X12BuildError(f"{field} must be greater than zero (got {value}).")
    out = format(dec.normalize(), "f")
    return out


def d8(value: date) -> str:
    return value.strftime("%Y%m%d")


def segment(*elements: str) -> str:
    """Join elements, dropping trailing empty ones (X12: no trailing element separators)."""
    items = list(elements)
    while items and items[-1] == "":
        items.pop()
    return ELEMENT_SEP.join(items) + SEGMENT_TERMINATOR


def composite(*components: str) -> str:
    items = list(components)
    while items and items[-1] == "":
        items.pop()
    return COMPONENT_SEP.join(items)


@dataclass(frozen=True)
class Envelope:
    """ISA/GS values. Control numbers come from the caller (stored and unique per sender)."""

    sender_id: str
    receiver_id: str
    interchange_control_number: int
    group_control_number: int
    created: datetime
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    application_sender_code: str = ""  # GS02; defaults to sender_id
    application_receiver_code: str = ""  # GS03; defaults to receiver_id
    usage: str = "P"  # ISA15: P production, T test
    acknowledgment_requested: str = "0"  # ISA14


def isa(env: Envelope) -> str:
    if not 1 <= env.interchange_control_number <= 999_999_999:
        raise X12BuildError("Interchange control number must be 1..999999999 (ISA13).")
    if env.usage not in ("P", "T"):
        raise X12BuildError("ISA15 usage indicator must be P (production) or T (test).")
    sender = text(env.sender_id, field="Submitter id (ISA06)", max_len=15)
    receiver = text(env.receiver_id, field="Receiver id (ISA08)", max_len=15)
    return segment(
        "ISA", "00", " " * 10, "00", " " * 10,
        env.sender_qualifier.ljust(2), sender.ljust(15),
        env.receiver_qualifier.ljust(2), receiver.ljust(15),
        env.created.strftime("%y%m%d"), env.created.strftime("%H%M"),
        REPETITION_SEP, "00501", f"{env.interchange_control_number:09d}",
        env.acknowledgment_requested, env.usage, COMPONENT_SEP,
    )


def gs(env: Envelope, *, functional_id: str, version: str) -> str:
    if not 1 <= env.group_control_number <= 999_999_999:
        raise X12BuildError("Group control number must be 1..999999999 (GS06).")
    return segment(
        "GS", functional_id,
        text(env.application_sender_code or env.sender_id, field="GS02 sender code", max_len=15),
        text(env.application_receiver_code or env.receiver_id, field="GS03 receiver code", max_len=15),
        env.created.strftime("%Y%m%d"), env.created.strftime("%H%M"),
        str(env.group_control_number), "X", version,
    )


def ge(transaction_count: int, env: Envelope) -> str:
    return segment("GE", str(transaction_count), str(env.group_control_number))


def iea(env: Envelope) -> str:
    return segment("IEA", "1", f"{env.interchange_control_number:09d}")


def icd10_for_x12(code: str) -> str:
    """ICD-10-CM is written without the dot in X12 (F33.1 -> F331)."""
    return code.replace(".", "").strip().upper()
