"""The application database role's privileges, so that the app cannot change the audit trail.

The app connects as its own role (for example `trellis_app`); the tables belong to the migration role, which
runs this command after every `migrate` (new tables need their grants). The app role may read and write every
table Trellis uses, but on the evidence tables it may only add rows: no UPDATE, DELETE or TRUNCATE on the audit
events and seals (HIPAA 45 CFR 164.312(b) audit controls and 164.312(c)(1) integrity: protect the record of
activity from alteration or destruction). A database administrator with the owner role can still rewrite the
trail; the keyed chain and the checkpoints outside the database catch that (`verify_audit --checkpoint`).

    python manage.py db_grants --app-role trellis_app            # print the SQL
    python manage.py db_grants --app-role trellis_app --apply    # run it (PostgreSQL, as the table owner)
"""

from __future__ import annotations

import re
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from trellis.audit.models import AuditChainHead, AuditEvent, AuditSeal, AuditSealQueue

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Table -> the only privileges the app role keeps on it. Everything else gets SELECT/INSERT/UPDATE/DELETE.
AUDIT_PRIVILEGES: dict[str, tuple[str, str]] = {
    AuditEvent._meta.db_table: ("SELECT, INSERT", "evidence: appended, never changed"),
    AuditSeal._meta.db_table: ("SELECT, INSERT", "the hash chain: appended, never changed"),
    AuditChainHead._meta.db_table: ("SELECT, INSERT, UPDATE", "the one-row head moves with each seal"),
    # Sealing claims queued events with SELECT ... FOR UPDATE SKIP LOCKED, which PostgreSQL allows only with
    # the UPDATE privilege; the queue is a work list, not evidence (a lost row leaves an event unsealed, which
    # verify_audit reports).
    AuditSealQueue._meta.db_table: ("SELECT, INSERT, UPDATE, DELETE", "work queue, not evidence"),
}


def app_tables() -> list[str]:
    """Every table of an installed, managed model (many-to-many tables included), sorted."""
    tables: set[str] = set()
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            tables.add(model._meta.db_table)
    return sorted(tables)


def grant_statements(role: str, *, schema: str = "public", existing: set[str] | None = None) -> list[str]:
    """The SQL, in order: ordinary tables, sequences, then the audit tables cut back to appending. With
    `existing` (the tables the database has), tables not yet migrated are left out."""
    if not ROLE_NAME.match(role):
        raise CommandError("The role name may use lower-case letters, digits and underscores only.")
    quoted = f'"{role}"'
    statements = [f'GRANT USAGE ON SCHEMA "{schema}" TO {quoted};']
    statements += [
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON "{table}" TO {quoted};'
        for table in app_tables() if table not in AUDIT_PRIVILEGES and (existing is None or table in existing)
    ]
    if existing is None or "django_migrations" in existing:
        statements.append(f'GRANT SELECT ON "django_migrations" TO {quoted};  -- migrate runs as the owner')
    statements.append(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO {quoted};')
    for table, (privileges, why) in AUDIT_PRIVILEGES.items():
        statements.append(f'REVOKE ALL ON "{table}" FROM {quoted};')
        statements.append(f'GRANT {privileges} ON "{table}" TO {quoted};  -- {why}')
    return statements


class Command(BaseCommand):
    help = ("Print (default) or apply (--apply, PostgreSQL) the grants of the application's database role: "
            "read/write on Trellis's tables, append-only on the audit trail. Run as the table owner after "
            "every migrate.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--app-role", required=True, help="the role the application connects as")
        parser.add_argument("--schema", default="public")
        parser.add_argument("--apply", action="store_true", help="run the statements (PostgreSQL only)")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        role, schema = options["app_role"], options["schema"]
        if not ROLE_NAME.match(schema):
            raise CommandError("The schema name may use lower-case letters, digits and underscores only.")
        if not options["apply"]:
            self.stdout.write("-- run as the owner of the tables (the migration role), after every migrate:")
            self.stdout.write("\n".join(grant_statements(role, schema=schema)))
            return
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError(
                f"--apply works on PostgreSQL only; this database is {connection.vendor}, which has no roles or "
                "grants. Protect a SQLite file with file permissions, and use PostgreSQL in production.")
        with connection.cursor() as cursor:
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
            row = cursor.fetchone()
            if row is None:
                raise CommandError(f"There is no database role {role!r}; create it first (CREATE ROLE {role} LOGIN).")
            if row[0]:
                raise CommandError(f"{role!r} is a superuser, which no grant can restrict; use an ordinary role.")
            cursor.execute("SELECT current_user")
            if cursor.fetchone()[0] == role:
                raise CommandError(f"You are connected as {role!r}; run this as the owner of the tables instead.")
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s AND tableowner = %s "
                           "AND tablename = ANY(%s)", [schema, role, list(AUDIT_PRIVILEGES)])
            owned = [name for (name,) in cursor.fetchall()]
            if owned:
                raise CommandError(f"{role!r} owns {', '.join(owned)}; an owner can grant itself anything back. "
                                   "Let the migration role own the tables and the app connect as another role.")
            existing = set(connection.introspection.table_names(cursor))
        missing = [table for table in AUDIT_PRIVILEGES if table not in existing]
        if missing:
            raise CommandError(f"{', '.join(missing)} do not exist yet: run migrate first.")
        statements = grant_statements(role, schema=schema, existing=existing)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.split("  --")[0])
        self.stdout.write(self.style.SUCCESS(f"Applied {len(statements)} statements for role {role!r}."))
