"""Move the chain from the events themselves to insert-only seals (no lock inside business transactions).

Existing events keep their content; their content hashes are computed and they are sealed in id order, which
is the order the old chain had already fixed.
"""

import django.db.models.deletion
from django.db import migrations, models


def seal_existing(apps, schema_editor):
    import hashlib

    from django.utils import timezone

    from trellis.audit.chain import GENESIS_HASH, content_hash

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditSeal = apps.get_model("audit", "AuditSeal")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    fields = ("id", "occurred_at", "actor_id", "actor_label", "roles", "action", "object_type", "object_id",
              "patient_id", "site_id", "ip_address", "user_agent", "request_path", "outcome", "detail")
    prev, count, now, seals = GENESIS_HASH, 0, timezone.now(), []
    for row in AuditEvent.objects.order_by("id").values(*fields).iterator(chunk_size=2000):
        row["occurred_at"] = row["occurred_at"].isoformat()
        digest = content_hash(row)
        AuditEvent.objects.filter(pk=row["id"]).update(content_hash=digest)
        link = hashlib.sha256(f"{prev}{row['id']}:{digest}".encode()).hexdigest()
        seals.append(AuditSeal(event_id=row["id"], prev_hash=prev, hash=link, sealed_at=now))
        prev, count = link, count + 1
    AuditSeal.objects.bulk_create(seals, batch_size=2000)
    AuditChainHead.objects.update_or_create(pk=1, defaults={"last_hash": prev, "sealed_count": count})


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RemoveField(model_name="auditevent", name="prev_hash"),
        migrations.RemoveField(model_name="auditevent", name="hash"),
        migrations.AddField(
            model_name="auditevent", name="content_hash", field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RemoveField(model_name="auditchainhead", name="last_event_id"),
        migrations.AddField(model_name="auditchainhead", name="sealed_count", field=models.BigIntegerField(default=0)),
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64, unique=True)),
                ("sealed_at", models.DateTimeField()),
                (
                    "event",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT, related_name="seal", to="audit.auditevent"
                    ),
                ),
            ],
            options={"ordering": ["id"]},
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
