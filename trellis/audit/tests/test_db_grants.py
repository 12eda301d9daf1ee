"""`db_grants`: the application's database role appends to the audit trail and cannot change it."""

from __future__ import annotations

from io import StringIO
from uuid import uuid4

import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction

from trellis.audit.models import AuditEvent, AuditSeal, AuditSealQueue
from trellis.audit.services import AuditAction, record, seal_pending


def _printed(role: str = "trellis_app") -> list[str]:
    out = StringIO()
    call_command("db_grants", app_role=role, stdout=out)
    return out.getvalue().splitlines()


def test_printed_sql_keeps_the_trail_append_only() -> None:
    lines = _printed()
    assert 'REVOKE ALL ON "audit_auditevent" FROM "trellis_app";' in lines
    assert any(line.startswith('GRANT SELECT, INSERT ON "audit_auditevent" TO "trellis_app";') for line in lines)
    assert any(line.startswith('GRANT SELECT, INSERT ON "audit_auditseal" TO "trellis_app";') for line in lines)
    # the audit tables are cut back after the ordinary tables' grants, and never get UPDATE/DELETE on their own
    assert not any("UPDATE" in line and ('"audit_auditevent"' in line or '"audit_auditseal"' in line)
                   for line in lines)
    assert 'GRANT SELECT, INSERT, UPDATE, DELETE ON "patients_patient" TO "trellis_app";' in lines


def test_a_role_name_that_is_not_an_identifier_is_refused() -> None:
    with pytest.raises(CommandError, match="lower-case letters"):
        _printed('app"; DROP TABLE audit_auditevent; --')


@pytest.mark.django_db
def test_apply_refuses_on_sqlite_with_a_reason() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("SQLite refusal; PostgreSQL is covered below")
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("db_grants", app_role="trellis_app", apply=True, stdout=StringIO())


def _denied(sql: str, params: list[object]) -> str:
    with pytest.raises(ProgrammingError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.mark.django_db
def test_app_role_inserts_and_seals_but_cannot_update_or_delete_audit_events(patient) -> None:
    """Applied to a throwaway role (created and dropped inside the test's transaction): as that role, the app
    records and seals events and still updates ordinary tables, while UPDATE, DELETE and TRUNCATE of events
    and seals are refused by the database."""
    if connection.vendor != "postgresql":
        pytest.skip("database roles and grants need PostgreSQL")
    role = f"trellis_grants_{uuid4().hex[:10]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{role}" NOLOGIN')
    call_command("db_grants", app_role=role, apply=True, stdout=StringIO())
    with pytest.raises(CommandError, match="superuser"):  # a superuser bypasses every grant
        call_command("db_grants", app_role="postgres", apply=True, stdout=StringIO())
    old = record(action=AuditAction.READ, obj=patient)  # written as the owner, before switching
    with connection.cursor() as cursor:
        cursor.execute(f'SET LOCAL ROLE "{role}"')
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == role
        event = record(action=AuditAction.UPDATE, obj=patient)  # INSERT (and the trigger's queue row) allowed
        assert AuditSealQueue.objects.filter(event_id=event.pk).exists()
        assert seal_pending() >= 2  # sealing: claim (FOR UPDATE), append seals, move the head, empty the queue
        assert AuditSeal.objects.filter(event_id__in=[old.pk, event.pk]).count() == 2
        patient.legal_first_name = "Alexandra"
        patient.save()  # ordinary tables stay writable

        for sql, params in (
            ("UPDATE audit_auditevent SET detail = '{}' WHERE id = %s", [old.pk]),
            ("DELETE FROM audit_auditevent WHERE id = %s", [event.pk]),
            ("TRUNCATE audit_auditevent CASCADE", []),
            ("UPDATE audit_auditseal SET hash = prev_hash WHERE event_id = %s", [old.pk]),
            ("DELETE FROM audit_auditseal WHERE event_id = %s", [old.pk]),
        ):
            assert "permission denied" in _denied(sql, params)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(pk__in=[old.pk, event.pk]).count() == 2
    assert AuditEvent.objects.get(pk=old.pk).detail == old.detail
