"""Seed whether each existing service type counts toward weekly treatment hours (42 CFR 410.43)."""

from django.db import migrations

# Frozen copy: a data migration must not change when programs.models does. Deliberately not a call to
# trellis.scheduling.services.seed_builtins(): that service uses today's models and defaults, while a migration
# runs against the schema as it was here (the `apps` argument) on a new database long after the models have moved
# on; a call would break `migrate` on new databases as soon as the model changed, and silently seed different
# rows on new and old databases when the defaults did. Later changes ship as new data migrations;
# scheduling/tests/test_builtins.py checks that a migrated database holds what the service would create.
DEFAULTS = {
    "group_psychotherapy": True,
    "skills_group": True,
    "psychoeducation": True,
    "individual_therapy": True,
    "family_therapy": True,
    "occupational_therapy": True,
    "activity_therapy": True,
    "intake": True,
    "medication_management": False,
    "nursing_check_in": False,
    "case_management": False,
    "meal": False,
    "transport": False,
}
SOURCE = "42 CFR 410.43 (services of a partial hospitalization / intensive outpatient program)"


def seed(apps, schema_editor):
    ServiceTypeHours = apps.get_model("scheduling", "ServiceTypeHours")
    for service_type, counts in DEFAULTS.items():
        ServiceTypeHours.objects.get_or_create(
            service_type=service_type, defaults={"counts_toward_hours": counts, "source": SOURCE}
        )


def unseed(apps, schema_editor):
    apps.get_model("scheduling", "ServiceTypeHours").objects.filter(service_type__in=DEFAULTS).delete()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0004_counted_minutes")]
    operations = [migrations.RunPython(seed, unseed)]
