"""Other patients' names in a note (pure)."""

from trellis.documentation.privacy import names_found, strings_in


def test_strings_are_collected_from_nested_content():
    content = {"a": {"t": "x", "risk": {"actions": "y"}, "m": [{"medication": "z"}], "n": 3, "o": ["u"]}}
    assert sorted(strings_in(content)) == ["u", "x", "y", "z"]


def test_whole_word_case_sensitive_matches():
    content = {"s": {"plan": "Jordan supported a peer; jordanian food; Rivera-Lopez spoke."}}
    assert names_found(content, ["Jordan", "Rivera", "Al", "Lopez"]) == ["Jordan", "Lopez", "Rivera"]
    assert names_found(content, ["Jordans", ""]) == []
    assert names_found({"s": {"plan": "Will attend next week."}}, ["will"]) == []
