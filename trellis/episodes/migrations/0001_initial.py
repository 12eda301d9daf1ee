"""Episode, level changes, discharge records, hand-offs (from programs) and Diagnosis (from referrals) move
into this app. State only: the tables keep their names (Meta.db_table), so no row is copied or rewritten."""

import django.db.models.deletion
import uuid
from django.conf import settings
from django.db import migrations, models


MOVED = {"programs": ["episode", "episodelevelchange", "dischargerecord", "handofftask"], "referrals": ["diagnosis"]}


def move_content_types(apps, schema_editor):
    """Keep the content types (and the permissions that point at them) of the moved models."""
    content_type = apps.get_model("contenttypes", "ContentType")
    for old_label, models in MOVED.items():
        for model in models:
            if not content_type.objects.filter(app_label="episodes", model=model).exists():
                content_type.objects.filter(app_label=old_label, model=model).update(app_label="episodes")


def restore_content_types(apps, schema_editor):
    content_type = apps.get_model("contenttypes", "ContentType")
    for old_label, models in MOVED.items():
        content_type.objects.filter(app_label="episodes", model__in=models).update(app_label=old_label)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('patients', '0001_initial'),
        ('programs', '0002_dischargerecord_episodelevelchange_handofftask'),
        ('referrals', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # State only: the tables keep their names, so the database needs no change.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Episode',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('status', models.CharField(choices=[('planned', 'Planned'), ('active', 'Active'), ('discharged', 'Discharged')], default='active', max_length=12)),
                        ('admitted_on', models.DateField()),
                        ('discharged_on', models.DateField(blank=True, null=True)),
                        ('recommended_level', models.CharField(choices=[('php', 'Partial hospitalization (PHP)'), ('iop', 'Intensive outpatient (IOP)'), ('op', 'Outpatient (OP)')], max_length=3)),
                        ('authorized_level', models.CharField(blank=True, choices=[('php', 'Partial hospitalization (PHP)'), ('iop', 'Intensive outpatient (IOP)'), ('op', 'Outpatient (OP)')], max_length=3, null=True)),
                        ('discharge_type', models.CharField(blank=True, choices=[('completed', 'Completed program'), ('step_down', 'Step-down to a lower level'), ('transfer_higher', 'Transfer to a higher level'), ('ama', 'Left against advice'), ('administrative', 'Administrative'), ('no_show', 'No-show out')], max_length=20)),
                        ('discharge_reason', models.TextField(blank=True)),
                        ('version', models.PositiveIntegerField(default=1)),
                        ('case_manager', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='case_episodes', to=settings.AUTH_USER_MODEL)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='episodes', to='patients.patient')),
                        ('prescriber', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='prescriber_episodes', to=settings.AUTH_USER_MODEL)),
                        ('previous_episode', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='next_episodes', to='episodes.episode')),
                        ('primary_clinician', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='primary_episodes', to=settings.AUTH_USER_MODEL)),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='episodes', to='programs.program')),
                        ('track', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='episodes', to='programs.track')),
                    ],
                    options={
                        'db_table': 'programs_episode',
                        'ordering': ['-admitted_on'],
                    },
                ),
                migrations.CreateModel(
                    name='DischargeRecord',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('discharge_type', models.CharField(choices=[('completed', 'Completed program'), ('step_down', 'Step-down to a lower level'), ('transfer_higher', 'Transfer to a higher level'), ('ama', 'Left against advice'), ('administrative', 'Administrative'), ('no_show', 'No-show out')], max_length=30)),
                        ('reason', models.TextField()),
                        ('medications', models.TextField(blank=True, verbose_name='Medications at discharge')),
                        ('aftercare_provider', models.CharField(blank=True, max_length=200)),
                        ('aftercare_on', models.DateField(blank=True, null=True, verbose_name='Aftercare appointment')),
                        ('aftercare_flag', models.CharField(blank=True, max_length=200)),
                        ('summary', models.JSONField(blank=True, default=dict)),
                        ('summary_generated_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('episode', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='discharge_record', to='episodes.episode')),
                        ('next_episode', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='episodes.episode')),
                    ],
                    options={
                        'db_table': 'programs_dischargerecord',
                    },
                ),
                migrations.CreateModel(
                    name='Diagnosis',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('stage', models.CharField(choices=[('admission', 'Admission / working'), ('discharge', 'Discharge')], default='admission', max_length=12)),
                        ('code', models.CharField(max_length=8)),
                        ('description', models.CharField(max_length=300)),
                        ('code_set_version', models.CharField(max_length=60)),
                        ('rank', models.CharField(choices=[('primary', 'Primary'), ('secondary', 'Secondary')], default='secondary', max_length=10)),
                        ('onset_on', models.DateField(blank=True, null=True)),
                        ('diagnosed_on', models.DateField()),
                        ('resolved_on', models.DateField(blank=True, null=True)),
                        ('entered_in_error', models.BooleanField(default=False)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('diagnosed_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('intake', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='diagnoses', to='referrals.intakeassessment')),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='diagnoses', to='patients.patient')),
                        ('episode', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='diagnoses', to='episodes.episode')),
                    ],
                    options={
                        'verbose_name_plural': 'diagnoses',
                        'db_table': 'referrals_diagnosis',
                        'ordering': ['rank', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='EpisodeLevelChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('field', models.CharField(choices=[('recommended', 'Clinically recommended level'), ('authorized', 'Payer-authorized level')], max_length=12)),
                        ('from_level', models.CharField(blank=True, choices=[('php', 'Partial hospitalization (PHP)'), ('iop', 'Intensive outpatient (IOP)'), ('op', 'Outpatient (OP)')], max_length=10)),
                        ('to_level', models.CharField(choices=[('php', 'Partial hospitalization (PHP)'), ('iop', 'Intensive outpatient (IOP)'), ('op', 'Outpatient (OP)')], max_length=10)),
                        ('changed_on', models.DateField()),
                        ('reason', models.CharField(max_length=300)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('episode', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='level_changes', to='episodes.episode')),
                    ],
                    options={
                        'db_table': 'programs_episodelevelchange',
                        'ordering': ['changed_on', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='HandoffTask',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('public_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('note', models.TextField()),
                        ('due_on', models.DateField()),
                        ('completed_at', models.DateTimeField(blank=True, null=True)),
                        ('assigned_to', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('completed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('from_episode', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='episodes.episode')),
                        ('to_episode', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='handoff_tasks', to='episodes.episode')),
                    ],
                    options={
                        'db_table': 'programs_handofftask',
                        'ordering': ['due_on', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='episode',
                    index=models.Index(fields=['program', 'status'], name='episode_program_status'),
                ),
                migrations.AddConstraint(
                    model_name='episode',
                    constraint=models.CheckConstraint(condition=models.Q(('discharged_on__isnull', True), ('discharged_on__gte', models.F('admitted_on')), _connector='OR'), name='episode_discharge_after_admit', violation_error_message='The discharge date is before the admission date.'),
                ),
                migrations.AddConstraint(
                    model_name='episode',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'discharged'), _negated=True), ('discharged_on__isnull', False), _connector='OR'), name='episode_discharged_has_date', violation_error_message='A discharged episode needs a discharge date.'),
                ),
                migrations.AddConstraint(
                    model_name='diagnosis',
                    constraint=models.UniqueConstraint(condition=models.Q(('entered_in_error', False), ('intake__isnull', False), ('rank', 'primary')), fields=('intake', 'stage'), name='diagnosis_one_primary_per_intake', violation_error_message='An intake can have only one primary diagnosis.'),
                ),
                migrations.AddConstraint(
                    model_name='diagnosis',
                    constraint=models.UniqueConstraint(condition=models.Q(('entered_in_error', False), ('episode__isnull', False), ('rank', 'primary')), fields=('episode', 'stage'), name='diagnosis_one_primary_per_episode', violation_error_message='An episode can have only one primary diagnosis per stage.'),
                ),
                migrations.AddConstraint(
                    model_name='diagnosis',
                    constraint=models.CheckConstraint(condition=models.Q(('resolved_on__isnull', True), ('resolved_on__gte', models.F('diagnosed_on')), _connector='OR'), name='diagnosis_resolved_after_diagnosed', violation_error_message='The resolved date cannot be before the diagnosis date.'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
