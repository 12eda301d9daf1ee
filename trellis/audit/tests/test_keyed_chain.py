"""The keyed chain: an attacker with write access to the database but not the key cannot hide a change to
any hashed field (recomputing the hash unkeyed, or with a guessed key); the legacy SHA-256 trail carries
forward and verifies; a downgrade to the legacy scheme is caught; a chain cut back to an earlier head passes
the in-database checks but not the signed checkpoint; keys rotate by id."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import transaction

from trellis.audit import keys as audit_keys_module
from trellis.audit.chain import HASHED_FIELDS, content_hash
from trellis.audit.management.commands.verify_audit import FIELDS
from trellis.audit.models import AuditChainHead, AuditEvent, AuditSeal, AuditSealQueue
from trellis.audit.services import AuditAction, record, seal_pending

pytestmark = pytest.mark.django_db


def _verify(*args: str) -> tuple[int, str]:
    """(exit code, message) of verify_audit."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code), err.getvalue()
    return 0, out.getvalue()


def _events(patient, user, n=3):
    events = [record(action=AuditAction.READ, obj=patient, actor=user, detail={"view": "chart", "n": i})
              for i in range(n)]
    seal_pending()
    return events


def _changed(value, field):
    if field == "occurred_at":
        return value - timedelta(days=1)
    if field in ("actor_id", "patient_id", "site_id"):
        return None
    if field == "ip_address":
        return "10.9.9.9" if value != "10.9.9.9" else "10.8.8.8"
    if field == "detail":
        return {**(value or {}), "view": "something else"}
    return f"{value}x"


@pytest.mark.parametrize("field", HASHED_FIELDS)
def test_tampering_with_any_hashed_field_is_detected_even_with_a_recomputed_hash(patient, make_staff, field):
    user = make_staff("therapist")
    target = _events(patient, user)[1]
    assert _verify()[0] == 0
    stored = AuditEvent.objects.filter(pk=target.pk).values(*FIELDS).get()
    column = field
    new_value = _changed(stored[field], field)
    forged = {**stored, field: new_value}
    forged["occurred_at"] = forged["occurred_at"].isoformat()
    attempts = {
        # the attacker recomputes the unkeyed SHA-256 and claims the event predates keying
        "unkeyed": {"content_hash": content_hash(forged), "key_id": ""},
        # ...or keeps the key id and guesses a key
        "guessed key": {"content_hash": content_hash(forged, b"guessed"), "key_id": stored["key_id"]},
        # ...or leaves the hash alone
        "hash kept": {},
    }
    for how, extra in attempts.items():
        with transaction.atomic():
            AuditEvent.objects.filter(pk=target.pk).update(**{column: new_value}, **extra)
            code, message = _verify()
            assert code == 1, f"{field} changed ({how}) was not detected"
            assert f"#{target.pk}" in message, message
            transaction.set_rollback(True)
    assert _verify()[0] == 0


def test_every_event_field_that_carries_meaning_is_hashed():
    hashed = {f for f in HASHED_FIELDS}
    stored = {f.attname for f in AuditEvent._meta.concrete_fields} - {"id", "content_hash", "key_id"}
    assert stored == hashed


def test_new_events_and_seals_are_keyed(patient, make_staff):
    event = _events(patient, make_staff("nurse"), n=1)[0]
    event.refresh_from_db()
    assert event.key_id == audit_keys_module.DEV_KEY_ID
    row = AuditEvent.objects.filter(pk=event.pk).values(*FIELDS).get()
    row["occurred_at"] = row["occurred_at"].isoformat()
    key_id, key = audit_keys_module.current_key()
    assert event.content_hash == content_hash(row, key) != content_hash(row)
    assert AuditSeal.objects.get(event=event).key_id == audit_keys_module.DEV_KEY_ID


def test_keys_rotate_by_id_and_old_ids_keep_verifying(db, settings):
    settings.TRELLIS_AUDIT_KEYS = "k1:first-secret-value"
    record(action=AuditAction.READ, object_type="probe")
    seal_pending()
    settings.TRELLIS_AUDIT_KEYS = "k1:first-secret-value,k2:second-secret-value"
    settings.TRELLIS_AUDIT_KEY_ID = "k2"
    newer = record(action=AuditAction.READ, object_type="probe")
    seal_pending()
    assert AuditEvent.objects.get(pk=newer.pk).key_id == "k2"
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {"k1", "k2"}
    assert _verify()[0] == 0
    settings.TRELLIS_AUDIT_KEYS = "k2:second-secret-value"  # the old key thrown away: its events cannot verify
    code, message = _verify()
    assert code == 1 and "'k1'" in message


def _legacy_trail(monkeypatch, n: int) -> list[AuditEvent]:
    """Events and seals written the way Trellis wrote them before keying (plain SHA-256, no key id)."""
    from trellis.audit import sealing, services

    with monkeypatch.context() as m:
        m.setattr(services, "current_key", lambda: ("", None))
        m.setattr(sealing, "current_key", lambda: ("", None))
        events = [record(action=AuditAction.READ, object_type="legacy", detail={"i": i}) for i in range(n)]
        seal_pending()
    return events


def _run_keying_migration() -> None:
    migration = importlib.import_module("trellis.audit.migrations.0005_keyed_chain")
    migration.fix_legacy_boundary(django_apps, None)


def test_the_sha256_chain_is_carried_forward_and_a_downgrade_is_caught(db, monkeypatch):
    legacy = _legacy_trail(monkeypatch, 3)
    assert {e.key_id for e in AuditEvent.objects.filter(pk__in=[e.pk for e in legacy])} == {""}
    code, message = _verify()
    assert code == 1 and "unkeyed" in message  # before the boundary is fixed, unkeyed events are refused
    _run_keying_migration()
    head = AuditChainHead.objects.get(pk=1)
    assert head.legacy_events_until == legacy[-1].pk
    newer = [record(action=AuditAction.READ, object_type="keyed") for _ in range(2)]
    seal_pending()
    assert _verify()[0] == 0  # legacy part under SHA-256, the rest under HMAC, one chain
    first_keyed_seal = AuditSeal.objects.get(event_id=newer[0].pk)
    assert first_keyed_seal.prev_hash == AuditSeal.objects.get(event_id=legacy[-1].pk).hash
    # a keyed event rewritten under the legacy scheme
    row = AuditEvent.objects.filter(pk=newer[1].pk).values(*FIELDS).get()
    forged = {**row, "action": "delete", "occurred_at": row["occurred_at"].isoformat()}
    with transaction.atomic():
        AuditEvent.objects.filter(pk=newer[1].pk).update(action="delete", key_id="",
                                                         content_hash=content_hash(forged))
        code, message = _verify()
        assert code == 1 and f"#{newer[1].pk}" in message and "unkeyed" in message
        transaction.set_rollback(True)
    # moving the signed boundary to cover newer events
    with transaction.atomic():
        AuditChainHead.objects.filter(pk=1).update(legacy_events_until=10**9)
        code, message = _verify()
        assert code == 1 and "boundary" in message
        transaction.set_rollback(True)


def test_checkpoint_catches_a_rewound_chain(db, tmp_path):
    for _ in range(5):
        record(action=AuditAction.READ, object_type="probe")
    seal_pending()
    path = tmp_path / "checkpoints.jsonl"
    call_command("audit_checkpoint", "--file", str(path), stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    code, message = _verify("--checkpoint", str(path))
    assert code == 0 and "1 checkpoints match" in message
    # Cut the newest two events off and set the head back: every remaining hash is genuine.
    seals = list(AuditSeal.objects.order_by("id"))
    keep, cut = seals[:-2], seals[-2:]
    cut_events = [s.event_id for s in cut]
    AuditSeal.objects.filter(pk__in=[s.pk for s in cut])._raw_delete(AuditSeal.objects.db)
    AuditSealQueue.objects.filter(event_id__in=cut_events)._raw_delete(AuditSealQueue.objects.db)
    AuditEvent.objects.filter(pk__in=cut_events)._raw_delete(AuditEvent.objects.db)
    AuditChainHead.objects.filter(pk=1).update(last_hash=keep[-1].hash, sealed_count=len(keep))
    assert _verify()[0] == 0  # without the anchor the rewind is invisible...
    code, message = _verify("--checkpoint", str(path))
    assert code == 1 and "shorter" in message  # ...the checkpoint catches it


def test_an_altered_checkpoint_is_refused(db, tmp_path):
    record(action=AuditAction.READ, object_type="probe")
    path = tmp_path / "checkpoints.jsonl"
    call_command("audit_checkpoint", "--file", str(path), stdout=open(tmp_path / "out", "w"))  # noqa: SIM115
    checkpoint = json.loads(path.read_text())
    path.write_text(json.dumps({**checkpoint, "sealed_count": 0}) + "\n")
    code, message = _verify("--checkpoint", str(path))
    assert code == 1 and "signature" in message


def test_missing_checkpoint_file_fails(db, tmp_path):
    code, message = _verify("--checkpoint", str(tmp_path / "none.jsonl"))
    assert code == 1 and "does not exist" in message
