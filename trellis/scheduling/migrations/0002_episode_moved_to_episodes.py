"""The episode models moved to the episodes app (same tables): this app's foreign keys now name
episodes.* in the migration state. State only; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('episodes', '0001_initial'),
        ('scheduling', '0001_initial'),
    ]

    # State only: the tables keep their names, so the database needs no change.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='rosterchange',
                    name='episode',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='roster_changes', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='session',
                    name='episode',
                    field=models.ForeignKey(blank=True, help_text='Set for individual appointments: the one patient seen.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='appointments', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='sessionseries',
                    name='episode',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='session_series', to='episodes.episode'),
                ),
            ],
            database_operations=[],
        ),
    ]
