import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.referrals import cssrs
from trellis.referrals.cssrs import RiskLevel


def answers(q1=False, q2=False, q3=None, q4=None, q5=None, q6=False, q6_recent=None):
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5, "q6": q6, "q6_recent": q6_recent}


def test_six_questions_published_wording():
    numbers = [q.number for q in cssrs.QUESTIONS]
    assert numbers == ["1", "2", "3", "4", "5", "6", "6a"]
    assert cssrs.QUESTIONS[0].text == (
        "Have you wished you were dead or wished you could go to sleep and not wake up?"
    )
    assert cssrs.QUESTIONS[1].text == "Have you actually had any thoughts of killing yourself?"


def test_all_no_is_no_risk():
    result = cssrs.score(answers())
    assert result.risk is RiskLevel.NONE and not result.requires_safety_plan


def test_wish_only_is_low():
    assert cssrs.score(answers(q1=True)).risk is RiskLevel.LOW


def test_thoughts_without_method_is_low():
    assert cssrs.score(answers(q1=True, q2=True, q3=False, q4=False, q5=False)).risk is RiskLevel.LOW


def test_method_is_moderate():
    assert cssrs.score(answers(q2=True, q3=True, q4=False, q5=False)).risk is RiskLevel.MODERATE


def test_lifetime_behavior_is_moderate():
    result = cssrs.score(answers(q6=True, q6_recent=False))
    assert result.risk is RiskLevel.MODERATE and not result.requires_safety_plan


@pytest.mark.parametrize(
    "kwargs",
    [
        {"q2": True, "q3": False, "q4": True, "q5": False},
        {"q2": True, "q3": True, "q4": False, "q5": True},
        {"q6": True, "q6_recent": True},
    ],
)
def test_intent_plan_or_recent_behavior_is_high(kwargs):
    result = cssrs.score(answers(**kwargs))
    assert result.risk is RiskLevel.HIGH
    assert result.requires_safety_plan
    assert "safety plan is required" in result.recommendation


def test_skip_logic_q3_to_q5_only_if_q2_yes():
    with pytest.raises(cssrs.ScreenError) as err:
        cssrs.score(answers(q2=False, q3=True))
    assert err.value.field == "q3"
    with pytest.raises(cssrs.ScreenError, match="Answer question 4") as err:
        cssrs.score(answers(q2=True, q3=False, q5=False))
    assert err.value.field == "q4"


def test_q6_always_and_recent_only_if_q6_yes():
    with pytest.raises(cssrs.ScreenError, match="Answer question 6"):
        cssrs.score({"q1": False, "q2": False})
    with pytest.raises(cssrs.ScreenError, match="Answer question 6a"):
        cssrs.score(answers(q6=True))
    with pytest.raises(cssrs.ScreenError, match="three-month"):
        cssrs.score(answers(q6=False, q6_recent=True))


def test_applicable_questions():
    assert cssrs.applicable_questions({"q2": False}) == ["q1", "q2", "q6"]
    assert cssrs.applicable_questions({"q2": True, "q6": True}) == ["q1", "q2", "q3", "q4", "q5", "q6", "q6_recent"]


def test_safety_plan_sections():
    assert len(cssrs.missing_safety_plan_sections({})) == 6
    full = {key: "x" for key, _ in cssrs.SAFETY_PLAN_SECTIONS}
    assert cssrs.missing_safety_plan_sections(full) == []


yn = st.booleans()


@given(q1=yn, q2=yn, q3=yn, q4=yn, q5=yn, q6=yn, recent=yn)
def test_property_risk_monotone_and_high_iff_rule(q1, q2, q3, q4, q5, q6, recent):
    a = answers(
        q1=q1,
        q2=q2,
        q3=q3 if q2 else None,
        q4=q4 if q2 else None,
        q5=q5 if q2 else None,
        q6=q6,
        q6_recent=recent if q6 else None,
    )
    result = cssrs.score(a)
    high = (q2 and (q4 or q5)) or (q6 and recent)
    assert (result.risk is RiskLevel.HIGH) == bool(high)
    assert result.requires_safety_plan == bool(high)
    if not any([q1, q2, q6]):
        assert result.risk is RiskLevel.NONE
    # answering one more item "yes" never lowers the risk
    order = list(RiskLevel)
    if not q1:
        more = cssrs.score({**a, "q1": True})
        assert order.index(more.risk) >= order.index(result.risk)
