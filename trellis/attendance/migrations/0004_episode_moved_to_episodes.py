"""The episode models moved to the episodes app (same tables): this app's foreign keys now name
episodes.* in the migration state. State only; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0003_attendance_no_default_ordering'),
        ('episodes', '0001_initial'),
    ]

    # State only: the tables keep their names, so the database needs no change.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='attendance',
                    name='episode',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attendance', to='episodes.episode'),
                ),
            ],
            database_operations=[],
        ),
    ]
