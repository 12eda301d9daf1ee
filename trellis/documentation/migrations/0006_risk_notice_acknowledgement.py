"""Risk notices are acknowledged with who, when and the action taken (seen_at becomes acknowledged_at)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def _backfill_seen(apps, schema_editor):
    """Notices marked seen before acknowledgements recorded who and what: the recipient saw them."""
    RiskNotice = apps.get_model("documentation", "RiskNotice")
    for notice in RiskNotice.objects.filter(acknowledged_at__isnull=False, acknowledged_by__isnull=True):
        notice.acknowledged_by_id = notice.recipient_id
        notice.action_taken = "Seen (recorded before acknowledgements stated the action taken)."
        notice.save(update_fields=["acknowledged_by", "action_taken"])


class Migration(migrations.Migration):

    dependencies = [
        ('documentation', '0005_note_return'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='risknotice',
            name='doc_risknotice_open_idx',
        ),
        migrations.RenameField(
            model_name='risknotice',
            old_name='seen_at',
            new_name='acknowledged_at',
        ),
        migrations.AddIndex(
            model_name='risknotice',
            index=models.Index(fields=['recipient', 'acknowledged_at'], name='doc_risknotice_open_idx'),
        ),
        migrations.AddField(
            model_name='risknotice',
            name='acknowledged_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='risknotice',
            name='action_taken',
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(_backfill_seen, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='risknotice',
            constraint=models.CheckConstraint(condition=models.Q(('acknowledged_at__isnull', True), models.Q(('acknowledged_by__isnull', False), models.Q(('action_taken', ''), _negated=True)), _connector='OR'), name='doc_risknotice_ack_complete', violation_error_message='An acknowledgement needs who, when and the action taken.'),
        ),
    ]
