"""The episode models moved to the episodes app (same tables): this app's foreign keys now name
episodes.* in the migration state. State only; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('careplans', '0002_certification_policy'),
        ('episodes', '0001_initial'),
    ]

    # State only: the tables keep their names, so the database needs no change.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='caredeadline',
                    name='episode',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='care_deadlines', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='physiciancertification',
                    name='episode',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='certifications', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='planproblem',
                    name='diagnosis',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='episodes.diagnosis'),
                ),
                migrations.AlterField(
                    model_name='treatmentplan',
                    name='episode',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='treatment_plans', to='episodes.episode'),
                ),
            ],
            database_operations=[],
        ),
    ]
