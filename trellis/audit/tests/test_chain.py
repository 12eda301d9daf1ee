"""The audit trail detects edited, deleted and truncated events, and audited writes take no chain lock."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from trellis.audit.chain import GENESIS_HASH, content_hash, seal_hash, verify
from trellis.audit.models import AuditEvent, AuditSeal
from trellis.audit.services import AuditAction, record, seal_pending


def _trail(n: int) -> tuple[list[dict], list[dict]]:
    events, seals, prev = [], [], GENESIS_HASH
    for i in range(1, n + 1):
        fields = {"id": i, "occurred_at": f"2026-01-0{i}T10:00:00+00:00", "action": "read", "object_id": str(i)}
        event = {**fields, "content_hash": content_hash(fields), "sealed": True}
        link = seal_hash(prev, i, event["content_hash"])
        events.append(event)
        seals.append({"event_id": i, "prev_hash": prev, "hash": link, "event_content_hash": event["content_hash"]})
        prev = link
    return events, seals


def _as_stored(events: list[dict], seals: list[dict]) -> list[dict]:
    """Seals as the database join returns them: with the sealed event's *stored* content hash."""
    stored = {e["id"]: e["content_hash"] for e in events}
    return [{**s, "event_content_hash": stored.get(s["event_id"])} for s in seals]


def test_pure_trail_verifies_and_detects_changes():
    events, seals = _trail(4)
    assert verify(events, seals, head_hash=seals[-1]["hash"]) is None
    changed = [dict(e) for e in events]
    changed[1]["action"] = "delete"
    assert verify(changed, seals).event_id == 2
    rehashed = [dict(e) for e in changed]
    rehashed[1]["content_hash"] = content_hash(rehashed[1])  # attacker also fixes the content hash
    broken = verify(rehashed, _as_stored(rehashed, seals))
    assert (broken.event_id, "seal does not match" in broken.reason) == (2, True)
    gone = events[:1] + events[2:], seals[:1] + seals[2:]  # event 2 and its seal removed
    assert verify(*gone).event_id == 3
    assert verify(events[:3], seals[:3], head_hash=seals[-1]["hash"]).reason.startswith("newest seals")
    unsealed = [*events[:3], {**events[3], "sealed": False}]
    broken = verify(unsealed, seals[:3], head_hash=seals[2]["hash"])
    assert (broken.event_id, "not sealed" in broken.reason) == (4, True)
    awaiting = [*events[:3], {**events[3], "sealed": False, "awaiting_seal": True}]
    assert verify(awaiting, seals[:3], head_hash=seals[2]["hash"]) is None


def test_verify_streams_in_constant_memory():
    """verify() keeps no per-event state: its peak allocation does not grow with the length of the trail."""
    import tracemalloc

    def streams(n: int):
        def events():
            for i in range(1, n + 1):
                fields = {"id": i, "occurred_at": "2026-01-01T10:00:00+00:00", "action": "read", "object_id": str(i)}
                yield {**fields, "content_hash": content_hash(fields), "sealed": True}

        def seals():
            prev = GENESIS_HASH
            for i in range(1, n + 1):
                fields = {"id": i, "occurred_at": "2026-01-01T10:00:00+00:00", "action": "read", "object_id": str(i)}
                digest = content_hash(fields)
                link = seal_hash(prev, i, digest)
                yield {"event_id": i, "prev_hash": prev, "hash": link, "event_content_hash": digest}
                prev = link

        return events(), seals()

    peaks = []
    for n in (500, 8_000):
        tracemalloc.start()
        assert verify(*streams(n)) is None
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # A set or dict of 8,000 ids/hashes alone would take about 1 MB.
    assert peaks[1] < peaks[0] + 200_000, peaks


@pytest.mark.django_db
def test_record_takes_no_lock_and_sealing_chains_in_order(patient):
    seal_pending()  # the fixtures' own events (creating the organization)
    sealed = AuditSeal.objects.count()
    events = [record(action=AuditAction.READ, obj=patient) for _ in range(3)]
    # Inside the test's transaction nothing has committed: the events wait for their seal.
    assert AuditSeal.objects.count() == sealed
    assert seal_pending() == 3
    assert list(AuditSeal.objects.order_by("id").values_list("event_id", flat=True))[sealed:] == [e.pk for e in events]
    assert seal_pending() == 0


@pytest.mark.django_db
def test_verify_command_passes_on_intact_trail(capsys, patient):
    before = AuditEvent.objects.count()  # the fixtures' own events (creating the organization)
    for _ in range(3):
        record(action=AuditAction.READ, obj=patient)
    seal_pending()
    call_command("verify_audit")
    assert f"intact: {before + 3} events" in capsys.readouterr().out


@pytest.mark.django_db
def test_raw_sql_tampering_is_detected(capsys, patient):
    events = [record(action=AuditAction.READ, obj=patient) for _ in range(4)]
    seal_pending()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = %s WHERE id = %s", [AuditAction.UPDATE, events[2].pk])
    with pytest.raises(SystemExit) as exited:
        call_command("verify_audit")
    assert exited.value.code == 1
    assert f"#{events[2].pk}" in capsys.readouterr().err


@pytest.mark.django_db
def test_raw_sql_deletion_is_detected(capsys, patient):
    events = [record(action=AuditAction.READ, obj=patient) for _ in range(4)]
    seal_pending()
    with connection.cursor() as cursor:  # the foreign key makes the seal go first
        cursor.execute("DELETE FROM audit_auditseal WHERE event_id = %s", [events[1].pk])
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(SystemExit):
        call_command("verify_audit")
    assert f"#{events[2].pk}" in capsys.readouterr().err


@pytest.mark.django_db
def test_removed_seal_is_detected(capsys, patient):
    events = [record(action=AuditAction.READ, obj=patient) for _ in range(3)]
    seal_pending()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditseal WHERE event_id = %s", [events[2].pk])
    with pytest.raises(SystemExit):
        call_command("verify_audit", grace_seconds=0)
    assert f"#{events[2].pk}" in capsys.readouterr().err


@pytest.mark.django_db
def test_model_refuses_update_and_delete(patient):
    event = record(action=AuditAction.READ, obj=patient)
    event.action = AuditAction.DELETE
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.READ
    seal_pending()
    seal = AuditSeal.objects.get(event=event)
    with pytest.raises(RuntimeError):
        seal.delete()


@pytest.mark.django_db
def test_event_fields(patient, make_staff, site):
    from trellis.audit.context import AuditContext, current

    user = make_staff("therapist")
    token = current.set(AuditContext(user=user, ip_address="10.1.2.3", user_agent="pytest", path="/x"))
    try:
        event = record(action=AuditAction.PRINT, obj=patient, detail={"pages": 2})
    finally:
        current.reset(token)
    assert event.actor == user and event.roles == "therapist"
    assert event.patient == patient and event.site == site
    assert event.object_type == "patient" and event.object_id == str(patient.public_id)
    assert event.ip_address == "10.1.2.3" and event.user_agent == "pytest"
