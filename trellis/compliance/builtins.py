"""The built-in requirement sets every organization can use, each number with its source. Organizations copy or
override them per payer. `services.seed_builtins()` puts any that are missing in place.

Data migration compliance 0002 wrote these rows from its own frozen copy of this data (see the comment there);
`tests/test_builtins.py` checks that a migrated database holds exactly what is defined here, so a change here
needs a data migration for existing databases.
"""

from __future__ import annotations

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
