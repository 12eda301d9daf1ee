"""The episode models moved to the episodes app (same tables): this app's foreign keys now name
episodes.* in the migration state. State only; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('documentation', '0001_initial'),
        ('episodes', '0001_initial'),
    ]

    # State only: the tables keep their names, so the database needs no change.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='addendum',
                    name='episode',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='note',
                    name='episode',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='individual_notes', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='participantnote',
                    name='episode',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='participant_notes', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='privatenote',
                    name='episode',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='episodes.episode'),
                ),
            ],
            database_operations=[],
        ),
    ]
