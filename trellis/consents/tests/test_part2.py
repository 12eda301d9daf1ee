import datetime as dt

from trellis.consents import part2

D = dt.date


def complete(**changes):
    base = dict(
        patient_name="Pat Example",
        discloser="Trellis Recovery IOP",
        information="Attendance dates and discharge summary",
        recipient="Dr. Rivera, Main Street Clinic",
        purpose="Continuity of care",
        revocation_statement=part2.DEFAULT_REVOCATION_STATEMENT,
        expires_on=D(2027, 1, 31),
        signature="Pat Example",
        signed_on=D(2026, 11, 1),
        redisclosure_statement=part2.DEFAULT_REDISCLOSURE_STATEMENT,
        conditioning_statement=part2.DEFAULT_CONDITIONING_STATEMENT,
    )
    base.update(changes)
    return part2.ConsentFacts(**base)


def test_complete_consent_has_no_missing_elements():
    assert part2.missing_elements(complete(), part2=True) == []


def test_each_required_element():
    cases = {
        "patient_name": {"patient_name": ""},
        "discloser": {"discloser": " "},
        "information": {"information": ""},
        "recipient": {"recipient": ""},
        "purpose": {"purpose": ""},
        "revocation_statement": {"revocation_statement": ""},
        "expiration": {"expires_on": None, "expiration_event": ""},
        "signature": {"signature": ""},
        "signed_on": {"signed_on": None},
    }
    for key, change in cases.items():
        missing = part2.missing_elements(complete(**change), part2=True)
        assert [e.key for e in missing] == [key]


def test_expiration_event_is_enough():
    facts = complete(expires_on=None, expiration_event="End of treatment")
    assert part2.missing_elements(facts, part2=True) == []


def test_hipaa_release_needs_fewer_statements():
    facts = complete(redisclosure_statement="", conditioning_statement="")
    assert part2.missing_elements(facts, part2=False) == []
    assert {e.key for e in part2.missing_elements(facts, part2=True)} == {
        "redisclosure_statement",
        "conditioning_statement",
    }


def test_describe_missing_cites_paragraphs():
    text = part2.describe_missing(part2.missing_elements(complete(recipient="", expires_on=None), part2=True))
    assert "Recipient" in text and "2.31(a)(4)" in text and "2.31(a)(7)" in text


def test_in_force_window_and_revocation():
    kw = dict(signed_on=D(2026, 11, 1), expires_on=D(2027, 1, 31), revoked_on=None)
    assert not part2.is_in_force(on=D(2026, 10, 31), **kw)
    assert part2.is_in_force(on=D(2026, 11, 1), **kw)
    assert part2.is_in_force(on=D(2027, 1, 31), **kw)  # expiry date inclusive
    assert not part2.is_in_force(on=D(2027, 2, 1), **kw)
    revoked = {**kw, "revoked_on": D(2026, 12, 1)}
    assert part2.is_in_force(on=D(2026, 11, 30), **revoked)  # before revocation still valid
    assert not part2.is_in_force(on=D(2026, 12, 1), **revoked)
    assert not part2.is_in_force(on=D(2026, 11, 2), expiration_event_occurred=True, **kw)
    assert not part2.is_in_force(on=D(2026, 11, 2), signed_on=None, expires_on=None, revoked_on=None)


def test_notice_text():
    assert part2.REDISCLOSURE_NOTICE.startswith("This record which has been disclosed to you is protected")
    assert "42 CFR 2.31" in part2.REDISCLOSURE_NOTICE
    assert part2.ABBREVIATED_NOTICE == "42 CFR part 2 prohibits unauthorized use or disclosure of these records."


def test_text_digest_is_stable():
    assert part2.text_digest("abc") == part2.text_digest("abc")
    assert part2.text_digest("abc") != part2.text_digest("abc ")
    assert len(part2.text_digest("x")) == 64
