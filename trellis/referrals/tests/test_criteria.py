import pytest

from trellis.referrals import criteria


def test_asam_six_dimensions_named():
    asam = criteria.asam_criteria()
    assert len(asam.dimensions) == 6
    assert asam.dimensions[0].name == "Dimension 1: Acute intoxication and/or withdrawal potential"
    assert asam.dimensions[5].name == "Dimension 6: Recovery/living environment"
    assert "ASAM Criteria" in asam.source
    assert "LOCUS" not in str(criteria.TEMPLATES)


def test_evaluate_met_and_unmet():
    asam = criteria.asam_criteria()
    ok = {d.key: "r1" for d in asam.dimensions}
    assert criteria.evaluate(asam, ok).met
    bad = {**ok, "d1": "r3", "d3": "r4"}
    result = criteria.evaluate(asam, bad)
    assert not result.met
    assert result.unmet == (asam.dimensions[0].name, asam.dimensions[2].name)
    assert result.summary.startswith("Criteria not met: Dimension 1")


def test_program_limits_are_data():
    strict = criteria.asam_criteria({"d3": 0})
    findings = {d.key: "r0" for d in strict.dimensions} | {"d3": "r1"}
    assert not criteria.evaluate(strict, findings).met


def test_missing_or_unknown_finding():
    asam = criteria.asam_criteria()
    with pytest.raises(criteria.CriteriaError, match="Record a finding for Dimension 2") as err:
        criteria.evaluate(asam, {"d1": "r0"})
    assert err.value.field == "d2"
    with pytest.raises(criteria.CriteriaError, match="listed findings"):
        criteria.evaluate(asam, {d.key: "r9" for d in asam.dimensions})


def test_round_trip_and_bad_data():
    for template in criteria.TEMPLATES.values():
        assert criteria.CriteriaSet.from_data(template.to_data()) == template
    with pytest.raises(criteria.CriteriaError, match="malformed"):
        criteria.CriteriaSet.from_data({"dimensions": [{"key": "x"}]})
    with pytest.raises(criteria.CriteriaError, match="at least one dimension"):
        criteria.CriteriaSet.from_data({"dimensions": []})


def test_php_template():
    php = criteria.TEMPLATES["php_mh"]
    findings = {"inpatient_alternative": "yes", "active_treatment": "yes", "needs_24h": "no", "support": "yes"}
    assert criteria.evaluate(php, findings).met
    assert not criteria.evaluate(php, {**findings, "needs_24h": "yes"}).met
