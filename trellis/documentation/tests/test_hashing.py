"""Canonical JSON and SHA-256 content hashes (pure)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trellis.documentation.hashing import (
    addendum_payload,
    canonical_json,
    content_hash,
    note_payload,
    verify_hash,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def test_known_vector():
    # sha256 of '{"a":1,"b":[true,null,"é"]}' (UTF-8), computed independently with hashlib.
    import hashlib

    expected = hashlib.sha256('{"a":1,"b":[true,null,"é"]}'.encode()).hexdigest()
    assert content_hash({"b": [True, None, "é"], "a": 1}) == "sha256:" + expected


def test_key_order_whitespace_and_unicode_normalisation_do_not_matter():
    assert canonical_json({"b": 1, "a": 2}) == canonical_json({"a": 2, "b": 1}) == '{"a":2,"b":1}'
    assert content_hash({"t": "Cafe\u0301"}) == content_hash({"t": "Caf\u00e9"})


def test_types_are_normalised():
    u = uuid.UUID("12345678-1234-5678-1234-567812345678")
    when = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    out = canonical_json({"u": u, "d": Decimal("1.50"), "w": when, "day": dt.date(2026, 1, 2), "f": 2.0})
    assert out == ('{"d":"1.50","day":"2026-01-02","f":2,"u":"12345678-1234-5678-1234-567812345678",'
                   '"w":"2026-11-23T17:00:00Z"}')


def test_refuses_naive_datetimes_and_nan():
    with pytest.raises(ValueError):
        content_hash({"w": dt.datetime(2026, 1, 1)})  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValueError):
        content_hash({"x": float("nan")})
    with pytest.raises(TypeError):
        content_hash({"x": object()})


def test_any_change_changes_the_hash():
    payload = note_payload(note_id="n1", session_id="s1", template_key="group_psychotherapy", template_version=1,
                           shared={"group": {"topic": "A"}},
                           participants=[{"episode": "e2", "attendance": "a2", "content": {"p": {"x": "y"}}},
                                         {"episode": "e1", "attendance": None, "content": {}}])
    h = content_hash(payload)
    assert verify_hash(payload, h)
    tampered = note_payload(note_id="n1", session_id="s1", template_key="group_psychotherapy", template_version=1,
                            shared={"group": {"topic": "A"}},
                            participants=[{"episode": "e2", "attendance": "a2", "content": {"p": {"x": "z"}}},
                                          {"episode": "e1", "attendance": None, "content": {}}])
    assert not verify_hash(tampered, h)
    assert not verify_hash(payload, "")


def test_participant_order_does_not_matter():
    a = {"episode": "e1", "content": {"k": 1}}
    b = {"episode": "e2", "content": {"k": 2}}
    kw = dict(note_id="n", session_id="s", template_key="t", template_version=2, shared={})
    assert content_hash(note_payload(participants=[a, b], **kw)) == content_hash(
        note_payload(participants=[b, a], **kw))


def test_addendum_payload_binds_the_note_hash():
    p1 = addendum_payload(addendum_id="x", note_id="n", text="Correction", note_hash="sha256:aa")
    p2 = addendum_payload(addendum_id="x", note_id="n", text="Correction", note_hash="sha256:bb")
    assert content_hash(p1) != content_hash(p2)


@given(json_values)
def test_hash_is_stable_under_json_round_trip(value):
    import json

    assert content_hash(json.loads(canonical_json(value))) == content_hash(value)


@given(st.dictionaries(st.text(max_size=5), st.integers(), max_size=6))
def test_hash_ignores_insertion_order(d):
    assert content_hash(dict(reversed(list(d.items())))) == content_hash(d)
