import pytest

from trellis.referrals import hrsn

NEGATIVE = {
    "living_situation": "steady",
    "housing_problems": ["none"],
    "food_worry": "never",
    "food_last": "never",
    "transportation": "no",
    "utilities": "no",
    "safety_hurt": "never",
    "safety_insult": "never",
    "safety_threaten": "never",
    "safety_scream": "never",
}


def test_core_items_cover_five_domains():
    domains = {i.domain for i in hrsn.ITEMS}
    assert {"housing", "food", "transportation", "utilities", "safety"} <= domains
    assert len(hrsn.ITEMS) == 10


def test_all_negative():
    result = hrsn.score(NEGATIVE)
    assert result.positive_domains == () and result.safety_score == 4 and not result.any_positive


@pytest.mark.parametrize(
    ("change", "domain"),
    [
        ({"living_situation": "worried"}, "housing"),
        ({"living_situation": "not_steady"}, "housing"),
        ({"housing_problems": ["mold", "pests"]}, "housing_quality"),
        ({"food_worry": "sometimes"}, "food"),
        ({"food_last": "often"}, "food"),
        ({"transportation": "yes"}, "transportation"),
        ({"utilities": "already_shut_off"}, "utilities"),
        ({"utilities": "yes"}, "utilities"),
    ],
)
def test_positive_rules(change, domain):
    assert hrsn.score({**NEGATIVE, **change}).positive_domains == (domain,)


def test_safety_threshold_greater_than_10():
    ten = {**NEGATIVE, "safety_hurt": "sometimes", "safety_insult": "sometimes", "safety_threaten": "rarely", "safety_scream": "rarely"}
    assert hrsn.score(ten).safety_score == 10
    assert "safety" not in hrsn.score(ten).positive_domains
    eleven = {**ten, "safety_scream": "sometimes"}
    result = hrsn.score(eleven)
    assert result.safety_score == 11 and result.positive_domains == ("safety",)
    assert result.labels() == ["Interpersonal safety"]


def test_declined_items():
    result = hrsn.score({"living_situation": None})
    assert "housing" in result.declined and not result.positive_domains


def test_bad_input():
    with pytest.raises(hrsn.HrsnError):
        hrsn.score({**NEGATIVE, "transportation": "maybe"})
    with pytest.raises(hrsn.HrsnError, match="None of the above"):
        hrsn.score({**NEGATIVE, "housing_problems": ["none", "mold"]})
    with pytest.raises(hrsn.HrsnError, match="all four safety"):
        hrsn.score({**NEGATIVE, "safety_hurt": None})
    with pytest.raises(hrsn.HrsnError, match="Unknown"):
        hrsn.score({"zip": "x"})
