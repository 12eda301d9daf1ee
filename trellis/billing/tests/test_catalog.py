"""Code selection by minutes (CPT mid-point time rule) and the catalogue's sources."""

from __future__ import annotations

import pytest

from trellis.billing import catalog


@pytest.mark.parametrize(("minutes", "code"), [(16, "90832"), (37, "90832"), (38, "90834"), (52, "90834"),
                                               (53, "90837"), (90, "90837")])
def test_psychotherapy_time_bands(minutes: int, code: str) -> None:
    assert catalog.psychotherapy_code(minutes) == code


def test_psychotherapy_under_16_minutes_is_not_billable() -> None:
    with pytest.raises(catalog.NotBillable, match="16-minute"):
        catalog.psychotherapy_code(15)


def test_family_and_em_and_evaluation() -> None:
    assert catalog.family_code(26) == "90847"
    assert catalog.family_code(50, patient_present=False) == "90846"
    with pytest.raises(catalog.NotBillable):
        catalog.family_code(25)
    assert [catalog.em_code(m) for m in (10, 19, 20, 30, 40)] == ["99212", "99212", "99213", "99214", "99215"]
    assert catalog.per_service_code("intake", 60) == "90791"
    assert catalog.per_service_code("intake", 60, physician=True) == "90792"
    assert catalog.per_service_code("skills_group", 90) == "90853"
    with pytest.raises(catalog.NotBillable):
        catalog.per_service_code("case_management", 30)


def test_every_code_names_a_source() -> None:
    for code in catalog.CODES.values():
        assert code.source and code.description
    assert catalog.lookup("92", "condition").confirmed is False  # marked to confirm
    assert catalog.lookup("0905", "revenue").description.startswith("Behavioral health")
    for needed in ("S9480", "H0015", "H0035", "S0201", "90853", "90832", "90834", "90837", "90791", "90792",
                   "90846", "90847"):
        assert catalog.is_known_procedure(needed)
    assert catalog.telehealth_place_of_service(patient_at_home=True) == "10"
