"""A queue of events awaiting their seal, so sealing never searches the whole trail.

Sealed trails are unchanged (they keep verifying); events that a stopped process left unsealed are queued,
and the next `seal_audit` (or audited request) seals them. From now on a trigger queues every inserted event
in the same statement's transaction (no extra query per event, and no insert path can skip the queue). On
PostgreSQL the queue is vacuumed eagerly: every row is deleted within moments of its insert.
"""

import django.db.models.deletion
from django.db import migrations, models


def queue_unsealed(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditSealQueue = apps.get_model("audit", "AuditSealQueue")
    unsealed = AuditEvent.objects.filter(seal__isnull=True).order_by("id").values_list("id", flat=True)
    batch = []
    for event_id in unsealed.iterator(chunk_size=5000):
        batch.append(AuditSealQueue(event_id=event_id))
        if len(batch) == 5000:
            AuditSealQueue.objects.bulk_create(batch)
            batch = []
    AuditSealQueue.objects.bulk_create(batch)


POSTGRES_TRIGGER = """
CREATE FUNCTION audit_queue_new_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_auditsealqueue (event_id) SELECT id FROM new_events;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_event_queued AFTER INSERT ON audit_auditevent
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION audit_queue_new_events();
"""
SQLITE_TRIGGER = """
CREATE TRIGGER audit_event_queued AFTER INSERT ON audit_auditevent
BEGIN
    INSERT INTO audit_auditsealqueue (event_id) VALUES (NEW.id);
END;
"""


def create_trigger(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_TRIGGER)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)
    else:
        raise NotImplementedError(f"audit seal queue trigger for {vendor}")


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_queued ON audit_auditevent")
        schema_editor.execute("DROP FUNCTION IF EXISTS audit_queue_new_events()")
    else:
        schema_editor.execute("DROP TRIGGER IF EXISTS audit_event_queued")


def tune_autovacuum(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE audit_auditsealqueue SET (autovacuum_vacuum_scale_factor = 0, "
            "autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0, "
            "autovacuum_analyze_threshold = 1000)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_seal_chain"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditSealQueue",
            fields=[
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="+",
                        serialize=False, to="audit.auditevent",
                    ),
                ),
            ],
        ),
        migrations.RunPython(queue_unsealed, migrations.RunPython.noop),
        migrations.RunPython(create_trigger, drop_trigger),
        migrations.RunPython(tune_autovacuum, migrations.RunPython.noop),
    ]
