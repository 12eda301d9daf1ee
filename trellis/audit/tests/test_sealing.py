"""Sealing cost does not depend on the length of the trail: a queue, batches, one seal run per request."""

from __future__ import annotations

import json
import threading

import pytest
from django.core.management import call_command
from django.core.signals import request_finished
from django.db import close_old_connections, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trellis.audit.chain import GENESIS_HASH, content_hash, seal_hash
from trellis.audit.middleware import AuditContextMiddleware
from trellis.audit.models import AuditChainHead, AuditEvent, AuditSeal, AuditSealQueue
from trellis.audit.sealing import claimable, seal_after_commit
from trellis.audit.services import AuditAction, AuditEntry, record, record_many, seal_pending


def _filler_events(n: int) -> None:
    """`n` events that are not waiting for a seal (as if sealed long ago), inserted in bulk."""
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        [AuditEvent(occurred_at=now, action="read", object_id=str(i), content_hash="0" * 64) for i in range(n)],
        batch_size=1000,
    )
    AuditSealQueue.objects.all().delete()


@pytest.mark.django_db
def test_every_inserted_event_is_queued_by_the_database_whatever_the_insert_path():
    now = timezone.now()
    single = AuditEvent.objects.create(occurred_at=now, action="read", content_hash="0" * 64)
    bulk = AuditEvent.objects.bulk_create(
        [AuditEvent(occurred_at=now, action="read", content_hash="0" * 64) for _ in range(3)]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditevent (occurred_at, actor_label, roles, action, object_type, object_id,"
            " user_agent, request_path, outcome, detail, content_hash) VALUES (%s, '', '', 'read', '', '', '', '',"
            " 'success', '{}', %s)",
            [now, "0" * 64],
        )
    queued = set(AuditSealQueue.objects.values_list("event_id", flat=True))
    assert queued == set(AuditEvent.objects.values_list("id", flat=True))
    assert {single.pk, *(e.pk for e in bulk)} < queued


@pytest.mark.django_db
def test_each_event_is_queued_and_the_queue_empties_when_sealed(patient):
    seal_pending()  # the fixtures' own events (creating the organization)
    events = [record(action=AuditAction.READ, obj=patient) for _ in range(3)]
    assert set(AuditSealQueue.objects.values_list("event_id", flat=True)) == {e.pk for e in events}
    assert seal_pending() == 3
    assert not AuditSealQueue.objects.exists()
    head = AuditChainHead.objects.get(pk=1)
    assert head.last_hash == AuditSeal.objects.order_by("-id").first().hash
    assert seal_pending() == 0


@pytest.mark.django_db
def test_record_many_writes_a_group_in_a_constant_number_of_queries(patient, make_staff, site):
    from trellis.core.testing.factories import PatientFactory

    actor = make_staff("therapist")
    seal_pending()  # the fixtures' own events (creating the organization)
    record(action=AuditAction.READ, obj=patient, actor=actor)  # the actor's roles are now cached
    counts = []
    for size in (2, 20):
        patients = [PatientFactory(primary_site=site) for _ in range(size)]
        entries = [AuditEntry(action=AuditAction.UPDATE, obj=p, detail={"field": "status"}) for p in patients]
        with CaptureQueriesContext(connection) as ctx:
            events = record_many(entries, actor=actor)
        counts.append(len(ctx.captured_queries))
        assert [e.patient_id for e in events] == [p.pk for p in patients]
        assert all(e.pk and e.site_id == site.pk and e.roles == "therapist" for e in events)
    assert counts[0] == counts[1] == 1
    assert seal_pending() == 23
    call_command("verify_audit", grace_seconds=0)


@pytest.mark.django_db
def test_one_seal_run_per_transaction_not_per_event(patient):
    for _ in range(5):
        record(action=AuditAction.READ, obj=patient)
    assert [entry[1] for entry in connection.run_on_commit].count(seal_after_commit) == 1


@pytest.mark.django_db
def test_a_request_seals_its_events_once_after_the_response(patient, make_staff):
    user = make_staff("therapist")
    seal_pending()  # the fixtures' own events (creating the organization)
    sealed_before = AuditSeal.objects.count()

    def view(request):
        for _ in range(4):
            record(action=AuditAction.READ, obj=patient)
        return HttpResponse("ok")

    request = RequestFactory().get("/anything")
    request.user = user
    response = AuditContextMiddleware(view)(request)
    assert AuditSealQueue.objects.count() == 4  # nothing sealed while the request was being answered
    # What the server does once the response has been sent (minus closing the connection, as the test client).
    # Here the test's transaction is still open, so the closer defers the seal run to its commit: one run.
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    assert [entry[1] for entry in connection.run_on_commit].count(seal_after_commit) == 1
    with CaptureQueriesContext(connection) as ctx:
        seal_after_commit()  # what the commit runs
    assert not AuditSealQueue.objects.exists()
    assert AuditSeal.objects.count() == sealed_before + 4
    head_locks = [q for q in ctx.captured_queries if "audit_auditchainhead" in q["sql"] and "SELECT" in q["sql"]]
    assert len(head_locks) == 1


@pytest.mark.django_db
def test_sealing_queries_do_not_grow_with_the_trail(patient):
    # One run first, so per-process caches (content types, the chain head's first read) are warm whichever
    # test ran before: the assertion compares steady-state runs only.
    record(action=AuditAction.READ, obj=patient)
    seal_pending()
    counts = []
    for filler in (10, 3000):
        _filler_events(filler)
        for _ in range(3):
            record(action=AuditAction.READ, obj=patient)
        with CaptureQueriesContext(connection) as ctx:
            assert seal_pending() == 3
        counts.append(len(ctx.captured_queries))
        assert not any("audit_auditseal\"" in q["sql"] and "LEFT OUTER" in q["sql"] for q in ctx.captured_queries)
    assert counts[0] == counts[1]


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


@pytest.mark.django_db
def test_unsealed_events_are_found_through_the_queue_not_by_scanning_the_trail(patient):
    _filler_events(5000)
    for _ in range(3):
        record(action=AuditAction.READ, obj=patient)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        sql, params = claimable(500).query.sql_with_params()
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            raw = cursor.fetchone()[0]
            plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
            on_events = [n for n in _plan_nodes(plan) if n.get("Relation Name") == "audit_auditevent"]
            assert on_events, plan
            for node in on_events:  # reached by primary key, one row per queued event
                assert node["Node Type"] in {"Index Scan", "Index Only Scan"}, node
                assert node["Actual Rows"] * node["Actual Loops"] <= 3, node
            assert not any(n.get("Relation Name") == "audit_auditseal" for n in _plan_nodes(plan))
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
            details = [row[-1] for row in cursor.fetchall()]
            assert not any(d.startswith("SCAN audit_auditevent") for d in details), details
            assert any(d.startswith("SEARCH audit_auditevent USING INTEGER PRIMARY KEY") for d in details), details
            assert not any("audit_auditseal " in f"{d} " for d in details), details


@pytest.mark.django_db(transaction=True)
def test_events_are_sealed_when_their_transaction_commits(patient):
    seal_pending()  # the fixtures' own events (creating the organization)
    before = AuditEvent.objects.count()
    with transaction.atomic():
        event = record(action=AuditAction.READ, obj=patient)
        assert not AuditSeal.objects.filter(event=event).exists()
    assert AuditSeal.objects.filter(event=event).exists()
    assert not AuditSealQueue.objects.exists()
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action=AuditAction.READ, obj=patient)
        raise RuntimeError("the audited change failed")
    assert AuditEvent.objects.count() == before + 1  # the rolled-back event is gone with its change and queue row
    assert not AuditSealQueue.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_parallel_writers_are_sealed_exactly_once_by_their_own_seal_runs(patient):
    """8 writers commit and seal concurrently (no final seal_pending): sealers claim disjoint batches
    (SKIP LOCKED) and append to one chain; every event is sealed once and the trail verifies."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL); SQLite allows one writer at a time")
    seal_pending()  # the fixtures' own events (creating the organization)
    before = AuditEvent.objects.count()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer() -> None:
        try:
            start.wait(timeout=30)
            for _ in range(10):
                with transaction.atomic():
                    record(action=AuditAction.READ, obj=patient)
                    record(action=AuditAction.UPDATE, obj=patient)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert AuditEvent.objects.count() == before + 160 == AuditSeal.objects.count()
    assert AuditSeal.objects.values("event_id").distinct().count() == before + 160
    assert not AuditSealQueue.objects.exists()
    assert AuditChainHead.objects.get(pk=1).sealed_count == before + 160
    call_command("verify_audit", grace_seconds=0)


@pytest.mark.django_db(transaction=True)
def test_migrating_a_sealed_trail_keeps_it_verifying(capsys):
    """A trail sealed before the queue existed (audit 0002) verifies after migrating; an event that a stopped
    process left unsealed is queued by the migration and sealed by seal_audit."""
    executor = MigrationExecutor(connection)
    leaf = executor.loader.graph.leaf_nodes("audit")
    executor.migrate([("audit", "0002_seal_chain")])
    apps = executor.loader.project_state([("audit", "0002_seal_chain")]).apps
    Event, Seal, Head = (apps.get_model("audit", name) for name in ("AuditEvent", "AuditSeal", "AuditChainHead"))
    prev, now = GENESIS_HASH, timezone.now()
    for i in range(4):
        fields = {"occurred_at": now.isoformat(), "action": "read", "object_id": str(i), "outcome": "success",
                  "detail": {}, "actor_label": "", "roles": "", "object_type": "patient", "user_agent": "",
                  "request_path": "", "ip_address": None, "actor_id": None, "patient_id": None, "site_id": None}
        event = Event.objects.create(**{**fields, "occurred_at": now}, content_hash=content_hash(fields))
        if i < 3:
            link = seal_hash(prev, event.pk, event.content_hash)
            Seal.objects.create(event_id=event.pk, prev_hash=prev, hash=link, sealed_at=now)
            prev = link
    Head.objects.update_or_create(pk=1, defaults={"last_hash": prev, "sealed_count": 3})
    executor = MigrationExecutor(connection)
    executor.migrate(leaf)
    assert AuditSealQueue.objects.count() == 1
    call_command("verify_audit")  # the unsealed event is within its grace period
    call_command("seal_audit")
    call_command("verify_audit", grace_seconds=0)
    out = capsys.readouterr().out
    assert "Sealed 1 audit events." in out
    assert out.count("Audit chain intact: 4 events verified") == 2
