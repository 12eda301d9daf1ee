"""The episode models moved to the episodes app (same tables): this app's foreign keys now name
episodes.* in the migration state. State only; the database is unchanged."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('attendance', '0004_episode_moved_to_episodes'),
        ('careplans', '0003_episode_moved_to_episodes'),
        ('consents', '0004_episode_moved_to_episodes'),
        ('documentation', '0002_episode_moved_to_episodes'),
        ('programs', '0002_dischargerecord_episodelevelchange_handofftask'),
        ('referrals', '0002_episode_and_diagnosis_moved_to_episodes'),
        ('scheduling', '0002_episode_moved_to_episodes'),
    ]

    # State only: the tables keep their names, so the database needs no change.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='episode',
                    name='case_manager',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='patient',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='prescriber',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='previous_episode',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='primary_clinician',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='program',
                ),
                migrations.RemoveField(
                    model_name='episode',
                    name='track',
                ),
                migrations.RemoveField(
                    model_name='handofftask',
                    name='from_episode',
                ),
                migrations.RemoveField(
                    model_name='handofftask',
                    name='to_episode',
                ),
                migrations.RemoveField(
                    model_name='episodelevelchange',
                    name='episode',
                ),
                migrations.RemoveField(
                    model_name='episodelevelchange',
                    name='created_by',
                ),
                migrations.RemoveField(
                    model_name='handofftask',
                    name='assigned_to',
                ),
                migrations.RemoveField(
                    model_name='handofftask',
                    name='completed_by',
                ),
                migrations.RemoveField(
                    model_name='handofftask',
                    name='created_by',
                ),
                migrations.DeleteModel(
                    name='DischargeRecord',
                ),
                migrations.DeleteModel(
                    name='Episode',
                ),
                migrations.DeleteModel(
                    name='EpisodeLevelChange',
                ),
                migrations.DeleteModel(
                    name='HandoffTask',
                ),
            ],
            database_operations=[],
        ),
    ]
