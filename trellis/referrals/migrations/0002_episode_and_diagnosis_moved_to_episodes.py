"""The episode models moved to the episodes app (same tables): this app's foreign keys now name
episodes.* in the migration state. State only; the database is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('careplans', '0003_episode_moved_to_episodes'),
        ('episodes', '0001_initial'),
        ('referrals', '0001_initial'),
    ]

    # State only: the tables keep their names, so the database needs no change.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='intakeassessment',
                    name='episode',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='levelofcaredetermination',
                    name='episode',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='referral',
                    name='episode',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='episodes.episode'),
                ),
                migrations.AlterField(
                    model_name='suicideriskscreen',
                    name='episode',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='episodes.episode'),
                ),
                migrations.DeleteModel(
                    name='Diagnosis',
                ),
            ],
            database_operations=[],
        ),
    ]
