"""Built-in requirement sets, each number with its source. Organizations copy or override them per payer."""

from decimal import Decimal

from django.db import migrations

# A frozen copy, deliberately not a call to trellis.compliance.services.seed_builtins(). A migration runs against
# the schema as it was at this point in history (the `apps` argument), on a new database long after the models
# have moved on; the service is written against today's models and will change with them (a new required field,
# a renamed one), and calling it here would then break `migrate` on every new database while existing ones, which
# ran this long ago, never notice. Later changes to the built-in data ship as new data migrations;
# compliance/tests/test_builtins.py checks that a migrated database holds what builtins.py defines.

ASAM = "ASAM Criteria, 3rd ed. (2013): Level 2.1 IOP 9+ h/week adults, 6+ h adolescents; Level 2.5 PHP 20+ h/week"
MEDICARE_PHP = "42 CFR 410.43(c)(1) and CY2024 OPPS final rule (88 FR 81540): PHP at least 20 hours of services/week"
MEDICARE_IOP = "CY2024 OPPS final rule (88 FR 81540), 42 CFR 410.44: IOP at least 9 hours of services/week"
MEDICARE_PER_DIEM = "CY2024 OPPS APCs 5851-5854 / 5861-5864: per diem paid for days with 3 or more services"
MEDICARE_PARTIAL = "Admission and discharge weeks are not held to the weekly minimum (Medicare Benefit Policy Manual, Ch. 6 §70.3)"

SETS = [
    {
        "name": "ASAM default",
        "description": "Level-of-care intensity from the ASAM Criteria; used when no payer set applies.",
        "payer_type": "",
        "is_default": True,
        "source": ASAM,
        "rules": [
            # No day minimum: the ASAM Criteria state hours, not days (a payer set may add one). Weeks of admission
            # and discharge are excluded so a short first or last week is never flagged as a failure.
            # (level, population, min h, max h, min days, per-diem min minutes, min services/day, partial, source)
            ("iop", "adult", "9.0", "19.0", 0, 0, 0, "exclude", ASAM + " (2.1 adult; fewer than 20 h)"),
            ("iop", "adolescent", "6.0", "19.0", 0, 0, 0, "exclude", ASAM + " (2.1 adolescent)"),
            ("php", "adult", "20.0", None, 0, 0, 0, "exclude", ASAM + " (2.5)"),
            ("php", "adolescent", "20.0", None, 0, 0, 0, "exclude", ASAM + " (2.5)"),
            ("op", "adult", "0.0", "9.0", 0, 0, 0, "exclude", "ASAM Criteria, Level 1: fewer than 9 h/week adults"),
            ("op", "adolescent", "0.0", "6.0", 0, 0, 0, "exclude", "ASAM Criteria, Level 1: fewer than 6 h/week adolescents"),
        ],
    },
    {
        "name": "Medicare PHP/IOP",
        "description": "Medicare Part A/B outpatient partial hospitalization and intensive outpatient.",
        "payer_type": "medicare",
        "is_default": False,
        "source": f"{MEDICARE_PHP}; {MEDICARE_IOP}",
        "rules": [
            ("php", "adult", "20.0", None, 0, 0, 3, "exclude", f"{MEDICARE_PHP}; {MEDICARE_PER_DIEM}; {MEDICARE_PARTIAL}"),
            ("php", "adolescent", "20.0", None, 0, 0, 3, "exclude", f"{MEDICARE_PHP}; {MEDICARE_PER_DIEM}; {MEDICARE_PARTIAL}"),
            ("iop", "adult", "9.0", "19.0", 0, 0, 3, "exclude", f"{MEDICARE_IOP}; {MEDICARE_PER_DIEM}; {MEDICARE_PARTIAL}"),
            ("iop", "adolescent", "9.0", "19.0", 0, 0, 3, "exclude", f"{MEDICARE_IOP}; {MEDICARE_PER_DIEM}; {MEDICARE_PARTIAL}"),
        ],
    },
]


def seed(apps, schema_editor):
    RequirementSet = apps.get_model("compliance", "RequirementSet")
    RequirementRule = apps.get_model("compliance", "RequirementRule")
    for spec in SETS:
        rs, _ = RequirementSet.objects.get_or_create(
            organization=None, name=spec["name"],
            defaults={k: spec[k] for k in ("description", "payer_type", "is_default", "source")},
        )
        for level, pop, lo, hi, days, per_diem, services, partial, source in spec["rules"]:
            RequirementRule.objects.get_or_create(
                requirement_set=rs, level_of_care=level, population=pop,
                defaults={
                    "weekly_min_hours": Decimal(lo), "weekly_max_hours": Decimal(hi) if hi else None,
                    "min_days_per_week": days, "per_diem_min_minutes": per_diem, "min_services_per_day": services,
                    "partial_week": partial, "source": source,
                },
            )


def unseed(apps, schema_editor):
    RequirementSet = apps.get_model("compliance", "RequirementSet")
    names = [s["name"] for s in SETS]
    apps.get_model("compliance", "RequirementRule").objects.filter(
        requirement_set__organization=None, requirement_set__name__in=names).delete()
    RequirementSet.objects.filter(organization=None, name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0001_requirement_sets")]
    operations = [migrations.RunPython(seed, unseed)]
