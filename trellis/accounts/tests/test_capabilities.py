import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from trellis.accounts.capabilities import ROLE_CAPABILITIES, all_capabilities, capabilities_of
from trellis.accounts.models import Role
from trellis.accounts.policies import has_capability, sites_with
from trellis.core.validators import is_valid_npi, normalize_phone, validate_npi


def test_every_role_has_an_entry_and_only_known_capabilities():
    assert set(ROLE_CAPABILITIES) == set(Role.values)
    known = all_capabilities()
    for role, caps in ROLE_CAPABILITIES.items():
        assert caps <= known, role


def test_unknown_role_has_nothing():
    assert capabilities_of("janitor") == frozenset()


def test_separation_of_duties():
    assert "billing.manage" not in ROLE_CAPABILITIES[Role.THERAPIST]
    assert "note.write" not in ROLE_CAPABILITIES[Role.BILLER]
    assert "audit.view" not in ROLE_CAPABILITIES[Role.FRONT_DESK]
    assert "episode.override" in ROLE_CAPABILITIES[Role.PROGRAM_DIRECTOR]
    assert "certify" in ROLE_CAPABILITIES[Role.PRESCRIBER]


@pytest.mark.django_db
def test_capability_is_per_site(make_staff, site, other_site):
    user = make_staff("front_desk")
    assert has_capability(user, "patient.create", site)
    assert not has_capability(user, "patient.create", other_site)
    assert sites_with(user, "patient.create") == [site]
    assert not has_capability(user, "note.write")


# CMS NPI check-digit examples: 1234567893 is the worked example in the CMS NPI check-digit paper.
def test_npi_check_digit():
    assert is_valid_npi("1234567893")
    assert not is_valid_npi("1234567890")
    with pytest.raises(ValidationError, match="10 digits"):
        validate_npi("12345")
    with pytest.raises(ValidationError, match="check digit"):
        validate_npi("1234567894")


@given(st.integers(min_value=100000000, max_value=299999999))
def test_npi_luhn_matches_prefixed_luhn(body):
    digits = str(body)
    npi = digits + luhn.calc_check_digit("80840" + digits)
    assert is_valid_npi(npi)
    wrong = npi[:-1] + str((int(npi[-1]) + 1) % 10)
    assert not is_valid_npi(wrong)


def test_phone_normalization():
    assert normalize_phone("518-555-0142") == "(518) 555-0142"
    assert normalize_phone("+1 (518) 555 0142") == "(518) 555-0142"
    for bad in ("555-0142", "123-555-0142", "abc"):
        with pytest.raises(ValidationError):
            normalize_phone(bad)


def test_decide_answers_with_the_reason_and_is_falsy_when_denied(make_staff, site):
    """Every policy answers with one Decision type (trellis.core.policy): truthy when allowed, a reason when not."""
    from trellis.accounts.capabilities import Cap
    from trellis.accounts.policies import decide
    from trellis.core.policy import Decision

    facilitator = make_staff("group_facilitator", at=site)
    denied = decide(facilitator, Cap.BILLING_MANAGE, site, to="change billing records")
    assert isinstance(denied, Decision) and not denied
    assert denied.reason == f"Your role at {site.name} does not allow you to change billing records."
    allowed = decide(make_staff("biller", at=site), Cap.BILLING_MANAGE, site, to="change billing records")
    assert allowed and allowed.reason == ""
