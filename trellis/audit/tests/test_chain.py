"""The audit chain detects edited, deleted and truncated events."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection

from trellis.audit.chain import GENESIS_HASH, event_hash, verify
from trellis.audit.models import AuditEvent
from trellis.audit.services import AuditAction, record


def _events(n: int) -> list[dict]:
    prev, out = GENESIS_HASH, []
    for i in range(1, n + 1):
        fields = {"id": i, "occurred_at": f"2026-01-0{i}T10:00:00+00:00", "action": "read", "object_id": str(i)}
        digest = event_hash(prev, fields)
        out.append({**fields, "prev_hash": prev, "hash": digest})
        prev = digest
    return out


def test_pure_chain_verifies_and_detects_changes():
    events = _events(4)
    assert verify(events, events[-1]["hash"]) is None
    changed = [dict(e) for e in events]
    changed[1]["action"] = "delete"
    assert verify(changed).event_id == 2
    removed = events[:1] + events[2:]
    assert verify(removed).event_id == 3
    truncated = events[:3]
    assert verify(truncated, events[-1]["hash"]).reason.startswith("newest events are missing")


@pytest.mark.django_db
def test_verify_command_passes_on_intact_chain(capsys, patient):
    for _ in range(3):
        record(action=AuditAction.READ, obj=patient)
    call_command("verify_audit")
    assert "intact: 3 events" in capsys.readouterr().out


@pytest.mark.django_db
def test_raw_sql_tampering_is_detected(capsys, patient):
    events = [record(action=AuditAction.READ, obj=patient) for _ in range(4)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = %s WHERE id = %s", [AuditAction.UPDATE, events[2].pk]
        )
    with pytest.raises(SystemExit) as exited:
        call_command("verify_audit")
    assert exited.value.code == 1
    assert f"#{events[2].pk}" in capsys.readouterr().err


@pytest.mark.django_db
def test_raw_sql_deletion_is_detected(capsys, patient):
    events = [record(action=AuditAction.READ, obj=patient) for _ in range(4)]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    with pytest.raises(SystemExit):
        call_command("verify_audit")
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
