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
        event = {**fields, "content_hash": content_hash(fields)}
        link = seal_hash(prev, i, event["content_hash"])
        events.append(event)
        seals.append({"event_id": i, "prev_hash": prev, "hash": link})
        prev = link
    return events, seals


def test_pure_trail_verifies_and_detects_changes():
    events, seals = _trail(4)
    assert verify(events, seals, head_hash=seals[-1]["hash"]) is None
    changed = [dict(e) for e in events]
    changed[1]["action"] = "delete"
    assert verify(changed, seals).event_id == 2
    rehashed = [dict(e) for e in changed]
    rehashed[1]["content_hash"] = content_hash(rehashed[1])  # attacker also fixes the content hash
    assert "seal does not match" in verify(rehashed, seals).reason
    gone = events[:1] + events[2:], seals[:1] + seals[2:]  # event 2 and its seal removed
    assert verify(*gone).event_id == 3
    assert verify(events[:3], seals[:3], head_hash=seals[-1]["hash"]).reason.startswith("newest seals")
    unsealed = verify(events, seals[:3], head_hash=seals[2]["hash"])
    assert (unsealed.event_id, "not sealed" in unsealed.reason) == (4, True)
    assert verify(events, seals[:3], head_hash=seals[2]["hash"], unsealed_grace_ids={4}) is None


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


@pytest.mark.django_db(transaction=True)
def test_events_are_sealed_when_their_transaction_commits(patient):
    from django.db import transaction

    before = AuditEvent.objects.count()  # the fixtures' own events (creating the organization)
    with transaction.atomic():
        event = record(action=AuditAction.READ, obj=patient)
        assert not AuditSeal.objects.filter(event=event).exists()
    assert AuditSeal.objects.filter(event=event).exists()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action=AuditAction.READ, obj=patient)
        raise RuntimeError("the audited change failed")
    assert AuditEvent.objects.count() == before + 1  # the rolled-back event is gone with its change


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


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_all_get_sealed_into_one_chain(patient):
    """Writers in parallel transactions never wait on the chain; every committed event is sealed once."""
    import threading

    from django.db import connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL); SQLite allows one writer at a time")
    seal_pending()  # the fixtures' own events (creating the organization)
    before = AuditEvent.objects.count()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            for _ in range(10):
                with transaction.atomic():
                    record(action=AuditAction.READ, obj=patient)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seal_pending()
    assert AuditEvent.objects.count() == before + 40 == AuditSeal.objects.count()
    call_command("verify_audit", grace_seconds=0)
