"""Field validators for identifiers used across apps."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum import luhn

PHONE_DIGITS = re.compile(r"\d")


def is_valid_npi(value: str) -> bool:
    """NPI check digit: Luhn over the prefix 80840 + the 10 digits.

    Source: CMS, "Requirements for Constructing the National Provider Identifier (NPI) Check Digit"
    (the card-issuer prefix 80840 of ISO 7812 is prepended before the Luhn computation).
    """
    return bool(re.fullmatch(r"\d{10}", value or "")) and luhn.is_valid("80840" + value)


def validate_npi(value: str) -> None:
    if not value:
        return
    if not re.fullmatch(r"\d{10}", value):
        raise ValidationError("An NPI is exactly 10 digits.")
    if not is_valid_npi(value):
        raise ValidationError("This NPI's check digit is wrong — check for a typo.")


def normalize_phone(value: str) -> str:
    """North American numbers as (555) 123-4567; the NANP allows 10 digits, or 11 with a leading 1."""
    digits = "".join(PHONE_DIGITS.findall(value or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise ValidationError("Enter a 10-digit phone number, for example (555) 123-4567.")
    if digits[0] in "01" or digits[3] in "01":
        raise ValidationError("Area codes and exchanges cannot start with 0 or 1.")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def validate_phone(value: str) -> None:
    if value:
        normalize_phone(value)


# USPS two-letter codes for the states, DC and the territories with US postal addresses.
US_STATES = ["AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "PR", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "VI", "WA", "WV", "WI", "WY", "GU", "AS", "MP"]
