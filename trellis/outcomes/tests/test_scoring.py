"""Scoring of every shipped instrument against worked examples from the manuals, every band edge, skip logic,
partial answers (no score unless the manual allows prorating) and critical items. No database."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.outcomes import scoring
from trellis.outcomes.scoring import AnswerError, DefinitionError, parse_definition, score

LIB = scoring.load_shipped()


def answers_summing_to(defn, scale_key, total):
    """Answers to the scale's items (each at most its option maximum) that add up to `total`."""
    scale = defn.scale_by_key[scale_key]
    remaining = total // scale.multiplier
    out = {}
    for k in scale.items:
        item = defn.item_by_key[k]
        top = max(item.allowed())
        value = max(v for v in item.allowed() if v <= min(top, remaining))
        out[k] = value
        remaining -= value
    assert remaining == 0
    asked = {i.key for i in scoring.applicable_items(defn, out)}
    return {k: v for k, v in out.items() if k in asked}


def test_every_shipped_instrument_parses_and_has_licence_and_citation():
    assert set(LIB) == {"phq9", "gad7", "pcl5", "audit", "bam", "dass21", "cssrs"}
    for d in LIB.values():
        assert d.licence_status in scoring.LICENCE_STATUSES and d.citation and d.source


def test_loinc_codes_of_totals():
    assert LIB["phq9"].scale_by_key["total"].loinc == "44261-6"
    assert LIB["gad7"].scale_by_key["total"].loinc == "70274-6"
    assert LIB["audit"].scale_by_key["total"].loinc == "75624-7"


# ---------------------------------------------------------------- PHQ-9
PHQ9_EDGES = [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"), (14, "Moderate"),
              (15, "Moderately severe"), (19, "Moderately severe"), (20, "Severe"), (27, "Severe")]


@pytest.mark.parametrize(("total", "band"), PHQ9_EDGES)
def test_phq9_band_edges(total, band):
    d = LIB["phq9"]
    result = score(d, answers_summing_to(d, "total", total))
    assert result.complete and result.scales["total"].value == total and result.scales["total"].band == band


def test_phq9_worked_example():
    # Kroenke 2001 scoring: 1+2+1+3+0+2+1+0+0 = 10 -> moderate; item 10 is not scored.
    a = dict(zip([f"q{i}" for i in range(1, 11)], [1, 2, 1, 3, 0, 2, 1, 0, 0, 3], strict=True))
    r = score(LIB["phq9"], a)
    assert r.scales["total"].value == 10 and r.scales["total"].band == "Moderate" and not r.critical


def test_phq9_item9_is_critical_even_when_partial():
    r = score(LIB["phq9"], {"q1": 0, "q9": 1})
    assert not r.complete and r.scales["total"].value is None
    assert [c.item for c in r.critical] == ["q9"]
    assert not score(LIB["phq9"], {f"q{i}": 0 for i in range(1, 10)}).critical


def test_phq9_partial_is_not_scored():
    a = {f"q{i}": 3 for i in range(1, 9)}  # item 9 missing
    r = score(LIB["phq9"], a)
    assert not r.complete and r.unanswered == ("q9",) and r.scales["total"].value is None


def test_phq9_item10_optional():
    r = score(LIB["phq9"], {f"q{i}": 1 for i in range(1, 10)})
    assert r.complete and r.scales["total"].value == 9


@pytest.mark.parametrize("bad", [4, -1, "x", True, 1.5])
def test_out_of_range_answer_refused(bad):
    with pytest.raises(AnswerError) as exc:
        score(LIB["phq9"], {"q1": bad})
    assert "question 1" in exc.value.message


def test_unknown_item_refused():
    with pytest.raises(AnswerError):
        score(LIB["phq9"], {"q99": 1})


# ---------------------------------------------------------------- GAD-7
@pytest.mark.parametrize(("total", "band"), [(0, "Minimal"), (4, "Minimal"), (5, "Mild"), (9, "Mild"),
                                             (10, "Moderate"), (14, "Moderate"), (15, "Severe"), (21, "Severe")])
def test_gad7_band_edges(total, band):
    d = LIB["gad7"]
    r = score(d, answers_summing_to(d, "total", total))
    assert r.scales["total"].value == total and r.scales["total"].band == band


def test_gad7_thresholds():
    s = LIB["gad7"].scale_by_key["total"]
    assert (s.caseness, s.reliable_change) == (8, 4)
    s = LIB["phq9"].scale_by_key["total"]
    assert (s.caseness, s.reliable_change) == (10, 6)


# ---------------------------------------------------------------- PCL-5
def test_pcl5_clusters_and_dsm_pattern():
    d = LIB["pcl5"]
    # B items 1-5 = 2,0,0,0,0; C 6-7 = 2,0; D 8-14 = 2,2,0,0,0,0,0; E 15-20 = 2,2,0,0,0,0
    vals = [2, 0, 0, 0, 0, 2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0]
    r = score(d, {f"q{i + 1}": v for i, v in enumerate(vals)})
    assert {k: s.value for k, s in r.scales.items()} == {
        "total": 12, "cluster_b": 2, "cluster_c": 2, "cluster_d": 4, "cluster_e": 4}
    assert r.rules == {"dsm5_pattern": True}
    vals[7] = 1  # only one D item at 2+
    assert score(d, {f"q{i + 1}": v for i, v in enumerate(vals)}).rules == {"dsm5_pattern": False}


@pytest.mark.parametrize(("total", "band"), [(0, "Below"), (32, "Below"), (33, "At or above"), (80, "At or above")])
def test_pcl5_default_cut_point_33(total, band):
    d = LIB["pcl5"]
    r = score(d, answers_summing_to(d, "total", total))
    assert r.scales["total"].band.startswith(band)


def test_pcl5_cut_point_configurable():
    d = LIB["pcl5"].with_overrides({"total": {"caseness": 31}})
    assert d.scale_by_key["total"].caseness == 31
    assert score(d, answers_summing_to(d, "total", 31)).scales["total"].band.startswith("At or above")
    assert score(d, answers_summing_to(d, "total", 30)).scales["total"].band.startswith("Below")
    with pytest.raises(DefinitionError):
        LIB["pcl5"].with_overrides({"total": {"caseness": 0}})


# ---------------------------------------------------------------- AUDIT
@pytest.mark.parametrize(("total", "zone"), [(0, "Zone I"), (7, "Zone I"), (8, "Zone II"), (15, "Zone II"),
                                             (16, "Zone III"), (19, "Zone III"), (20, "Zone IV"), (40, "Zone IV")])
def test_audit_zone_edges(total, zone):
    d = LIB["audit"]
    a = answers_summing_to(d, "total", total)
    # keep items 9-10 (0/2/4) valid: answers_summing_to picks allowed values only
    r = score(d, a)
    assert r.scales["total"].value == total and r.scales["total"].band.startswith(zone)


def test_audit_never_drinks_skips_to_9_and_10():
    r = score(LIB["audit"], {"q1": 0, "q9": 2, "q10": 0})
    assert r.complete and r.scales["total"].value == 2
    with pytest.raises(AnswerError):
        score(LIB["audit"], {"q1": 0, "q2": 1})


def test_audit_items_2_and_3_zero_skip_4_to_8():
    r = score(LIB["audit"], {"q1": 1, "q2": 0, "q3": 0, "q9": 0, "q10": 4})
    assert r.complete and r.scales["total"].value == 5


def test_audit_items_9_10_take_0_2_4_only():
    with pytest.raises(AnswerError):
        score(LIB["audit"], {"q1": 0, "q9": 1})


def test_audit_waits_for_trigger_answers():
    r = score(LIB["audit"], {"q9": 0, "q10": 0})
    assert not r.complete and r.scales["total"].value is None


# ---------------------------------------------------------------- BAM
def test_bam_subscales_no_total():
    d = LIB["bam"]
    a = {"q1": 2, "q2": 1, "q3": 3, "q4": 2, "q5": 1, "q6": 0, "q8": 2, "q9": 3, "q10": 4, "q11": 1, "q12": 0,
         "q13": 4, "q14": 4, "q15": 1, "q16": 3, "q17": 2}
    r = score(d, a)
    assert r.complete
    assert {k: s.value for k, s in r.scales.items()} == {"use": 3, "risk": 2 + 1 + 3 + 2 + 1 + 1,
                                                         "protective": 3 + 4 + 0 + 4 + 4 + 3}
    assert "total" not in r.scales


def test_bam_no_drinking_skips_heavy_drinking_and_drug_detail():
    d = LIB["bam"]
    a = {"q1": 0, "q2": 0, "q3": 0, "q4": 0, "q6": 0, "q8": 0, "q9": 4, "q10": 0, "q11": 0, "q12": 0,
         "q13": 0, "q14": 0, "q15": 0, "q16": 0, "q17": 4}
    r = score(d, a)
    assert r.complete and r.scales["use"].value == 0
    a["q6"] = 1
    assert not score(d, a).complete  # now 7A-7G are asked
    a.update({k: 0 for k in ("q7a", "q7b", "q7c", "q7d", "q7f", "q7g")} | {"q7e": 1})
    r = score(d, a)
    assert r.complete and r.scales["use"].value == 1


# ---------------------------------------------------------------- DASS-21
def dass_with(depression=0, anxiety=0, stress=0):
    d = LIB["dass21"]
    a = {}
    for key, raw in (("depression", depression), ("anxiety", anxiety), ("stress", stress)):
        a |= answers_summing_to(d, key, raw)
    return score(d, a)


@pytest.mark.parametrize(
    ("scale", "edges"),
    [
        ("depression", [(0, "Normal"), (9, "Normal"), (10, "Mild"), (13, "Mild"), (14, "Moderate"), (20, "Moderate"),
                        (21, "Severe"), (27, "Severe"), (28, "Extremely severe"), (42, "Extremely severe")]),
        ("anxiety", [(7, "Normal"), (8, "Mild"), (9, "Mild"), (10, "Moderate"), (14, "Moderate"), (15, "Severe"),
                     (19, "Severe"), (20, "Extremely severe")]),
        ("stress", [(14, "Normal"), (15, "Mild"), (18, "Mild"), (19, "Moderate"), (25, "Moderate"), (26, "Severe"),
                    (33, "Severe"), (34, "Extremely severe")]),
    ],
)
def test_dass21_band_edges(scale, edges):
    for total, band in edges:
        # odd edges (9, 13, 7, ...) are not reachable on the x2 scale; test the band of the nearest even score
        even = total - total % 2
        r = dass_with(**{scale: even})
        expected = LIB["dass21"].scale_by_key[scale].band_for(even).label
        assert r.scales[scale].value == even and r.scales[scale].band == expected
        if even == total:
            assert expected == band


def test_dass21_worked_example_multiplies_by_two():
    # Depression items 3,5,10,13,16,17,21 each 1 -> raw 7 -> 14 (moderate).
    r = dass_with(depression=14)
    assert r.scales["depression"].value == 14 and r.scales["depression"].band == "Moderate"
    assert r.scales["anxiety"].value == 0 and r.scales["anxiety"].band == "Normal"


# ---------------------------------------------------------------- C-SSRS
def test_cssrs_negative_and_positive():
    d = LIB["cssrs"]
    r = score(d, {"q1": 0, "q2": 0, "q6": 0})
    assert r.complete and r.scales["risk"].band == "No risk identified" and not r.critical
    r = score(d, {"q1": 1, "q2": 1, "q3": 0, "q4": 1, "q5": 0, "q6": 0})
    assert r.scales["risk"].band == "High risk" and r.critical
    r = score(d, {"q1": 1, "q2": 0, "q6": 0})
    assert r.scales["risk"].band == "Low risk" and r.critical  # any yes is a positive screen


def test_cssrs_skip_logic_enforced():
    with pytest.raises(AnswerError):
        score(LIB["cssrs"], {"q1": 0, "q2": 0, "q3": 1})
    assert not score(LIB["cssrs"], {"q1": 0, "q2": 1, "q6": 0}).complete


def test_cssrs_wording_matches_intake_screener():
    from trellis.referrals import cssrs

    assert LIB["cssrs"].item_by_key["q1"].text == cssrs.QUESTIONS[0].text


# ---------------------------------------------------------------- property: totals stay in range
@given(st.lists(st.integers(min_value=0, max_value=3), min_size=9, max_size=9))
def test_phq9_total_is_sum_and_in_range(values):
    r = score(LIB["phq9"], {f"q{i + 1}": v for i, v in enumerate(values)})
    assert r.scales["total"].value == sum(values) and 0 <= sum(values) <= 27
    assert r.scales["total"].band


# ---------------------------------------------------------------- organization-supplied definitions
def raw(key):
    return copy.deepcopy(LIB[key].raw)


def test_custom_definition_same_format_accepted():
    data = raw("gad7")
    data["key"], data["licence"]["status"] = "custom_gad", "licensed_by_organization"
    assert parse_definition(json.loads(json.dumps(data))).key == "custom_gad"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("licence"), "'licence' is missing"),
        (lambda d: d["licence"].update(status="pirated"), "licence.status"),
        (lambda d: d["items"][0].update(options="nope"), "unknown option set 'nope'"),
        (lambda d: d["scales"][0]["items"].append("q99"), "unknown item 'q99'"),
        (lambda d: d["scales"][0].update(max=30), "do not match the items"),
        (lambda d: d["scales"][0]["bands"].pop(1), "gap or overlap"),
        (lambda d: d["scales"][0].update(caseness=99), "'caseness'"),
        (lambda d: d["scales"][0].update(prorate={"max_missing": 1}), "'source' that allows it"),
        (lambda d: d["items"][1].update(when={"item": "q5", "gte": 1}), "earlier item"),
        (lambda d: d.update(items=[]), "'items' is empty"),
        (lambda d: d["option_sets"]["freq4"].append({"value": 0, "label": "Again"}), "repeats a value"),
    ],
)
def test_malformed_definitions_refused_with_clear_errors(mutate, message):
    data = raw("phq9")
    mutate(data)
    with pytest.raises(DefinitionError) as exc:
        parse_definition(data)
    assert any(message in e for e in exc.value.errors), exc.value.errors


def test_not_an_object_refused():
    with pytest.raises(DefinitionError):
        parse_definition(["phq9"])


def test_prorating_only_when_the_definition_allows_it():
    data = raw("gad7")
    data["scales"][0]["prorate"] = {"max_missing": 1, "source": "Example licensed manual, p. 3"}
    d = parse_definition(data)
    r = score(d, {"q1": 1, "q2": 2, "q3": 1, "q4": 2, "q5": 1, "q6": 2})  # q7 missing; mean 1.5 x 7 = 10.5 -> 11
    assert r.scales["total"].value == 11 and r.scales["total"].prorated and not r.complete
    r = score(d, {"q1": 1, "q2": 2, "q3": 1, "q4": 2, "q5": 1})  # two missing: not scored
    assert r.scales["total"].value is None
    assert score(LIB["gad7"], {"q1": 1}).scales["total"].value is None
