import pytest

from trellis.referrals import icd10


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("F33.1", "F33.1"), ("f331", "F33.1"), (" F 33.1 ", "F33.1"), ("F10.20", "F10.20"), ("F32", "F32"), ("", "")],
)
def test_normalize(raw, expected):
    assert icd10.normalize(raw) == expected


def test_valid_billable_and_description():
    assert icd10.is_valid("F33.1")
    assert icd10.is_billable("F33.1")
    assert icd10.describe("F331") == "Major depressive disorder, recurrent, moderate"
    assert icd10.is_valid("F33")  # a category is a valid code ...
    assert not icd10.is_billable("F33")  # ... but not billable
    assert icd10.is_billable("T40.1X1A")  # 7th-character extension


@pytest.mark.parametrize("raw", ["F99.99", "XYZ", "F30-F39", "5", "F3", "ZZZ.Z", "F33..1"])
def test_invalid_codes(raw):
    assert not icd10.is_valid(raw)
    assert icd10.lookup(raw) is None
    with pytest.raises(icd10.InvalidCode, match="not a valid ICD-10-CM code"):
        icd10.validate(raw)


def test_validate_messages():
    with pytest.raises(icd10.InvalidCode, match="Enter an ICD-10-CM code"):
        icd10.validate("  ")
    with pytest.raises(icd10.InvalidCode, match="category, not a billable code.*F33.0"):
        icd10.validate("F33")
    assert icd10.validate("F33", require_billable=False).code == "F33"
    code = icd10.validate("f43.10")
    assert code.code == "F43.10" and code.billable


def test_search_by_prefix_is_bounded_and_ordered():
    results = icd10.search("F43.1")
    codes = [r.code for r in results]
    assert codes[:4] == ["F43.1", "F43.10", "F43.11", "F43.12"]
    assert len(icd10.search("F", limit=5)) == 0  # too short
    assert len(icd10.search("F1", limit=5)) == 5
    assert len(icd10.search("F1", limit=10_000)) == icd10.MAX_RESULTS


def test_search_by_words_and_billable_only():
    results = icd10.search("recurrent major depressive moderate", billable_only=True)
    assert "F33.1" in [r.code for r in results]
    assert all(r.billable for r in results)
    assert icd10.search("zzqqxx") == []


def test_search_matches_word_starts_only():
    codes = [r.code for r in icd10.search("panic")]
    assert "F41.0" in codes
    assert not any(c.startswith("H66") for c in codes)  # "tympanic" is not "panic"
