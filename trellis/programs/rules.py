"""Program setup rules as data (pure; no database): weekly-hours floors per level of care, which levels
default to physician certification, and the ASAM levels a program can declare.

Every number cites its source; a program may be stricter (a higher floor) but never looser.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


class AsamLevel:
    """ASAM Criteria (3rd ed., 2013) levels of care a program may declare. Blank means the program does not
    use ASAM levels (e.g. a mental-health PHP/IOP)."""

    NONE = ""
    L1 = "1"
    L2_1 = "2.1"
    L2_5 = "2.5"
    L3_1 = "3.1"
    L3_3 = "3.3"
    L3_5 = "3.5"
    L3_7 = "3.7"

    choices: tuple[tuple[str, str], ...] = (
        ("", "Not used"),
        ("1", "ASAM 1 - outpatient services"),
        ("2.1", "ASAM 2.1 - intensive outpatient services"),
        ("2.5", "ASAM 2.5 - partial hospitalization services"),
        ("3.1", "ASAM 3.1 - clinically managed low-intensity residential"),
        ("3.3", "ASAM 3.3 - clinically managed population-specific high-intensity residential"),
        ("3.5", "ASAM 3.5 - clinically managed high-intensity residential"),
        ("3.7", "ASAM 3.7 - medically monitored intensive inpatient"),
    )
    values: tuple[str, ...] = tuple(v for v, _ in choices)


@dataclass(frozen=True, slots=True)
class HoursFloor:
    hours: Decimal
    source: str
    rule: str


# Minimum weekly treatment hours. Sources:
# * PHP: 20 hours/week - 42 CFR 410.43(c)(1) (as amended by the CY 2024 OPPS final rule, 88 FR 81540) and the
#   Medicare Benefit Policy Manual ch. 6 §70.3.
# * IOP: 9 hours/week - 42 CFR 410.44 / 42 CFR 424.24(e)(1)(i) (CY 2024 OPPS final rule, 88 FR 81540).
# * ASAM 2.1: 9 hours/week adults, 6 hours/week adolescents - The ASAM Criteria, 3rd ed. (2013), Level 2.1.
# * ASAM 2.5: 20 hours/week - The ASAM Criteria, 3rd ed. (2013), Level 2.5.
LEVEL_FLOORS: dict[str, HoursFloor] = {
    "php": HoursFloor(Decimal("20"), "42 CFR 410.43(c)(1)", "PHP weekly minimum"),
    "iop": HoursFloor(Decimal("9"), "42 CFR 424.24(e)(1)(i)", "IOP weekly minimum"),
}
ASAM_FLOORS: dict[tuple[str, str], HoursFloor] = {
    ("2.1", "adult"): HoursFloor(Decimal("9"), "The ASAM Criteria, 3rd ed. (2013), Level 2.1",
                                 "ASAM 2.1 adult weekly minimum"),
    ("2.1", "adolescent"): HoursFloor(Decimal("6"), "The ASAM Criteria, 3rd ed. (2013), Level 2.1",
                                      "ASAM 2.1 adolescent weekly minimum"),
    ("2.5", "adult"): HoursFloor(Decimal("20"), "The ASAM Criteria, 3rd ed. (2013), Level 2.5",
                                 "ASAM 2.5 weekly minimum"),
    ("2.5", "adolescent"): HoursFloor(Decimal("20"), "The ASAM Criteria, 3rd ed. (2013), Level 2.5",
                                      "ASAM 2.5 weekly minimum"),
}

# Medicare pays PHP and IOP only on a physician's certification (42 CFR 424.24(e)), so those levels default to
# requiring it; a program that never bills Medicare may turn it off.
CERTIFIED_BY_DEFAULT = frozenset({"php", "iop"})
CERTIFICATION_SOURCE = "42 CFR 424.24(e)"

PART2_QUESTION = "Is this a federally assisted substance-use disorder program (42 CFR Part 2)?"


def weekly_floor(*, level_of_care: str, population: str, asam_level: str = "", certified: bool = True
                 ) -> HoursFloor | None:
    """The highest applicable floor. The PHP/IOP floors are Medicare's (they go with certification); a program
    that declares an ASAM level also meets that level's floor. A program with no ASAM level is held to its level
    of care's floor whether or not it certifies (the floor is what PHP/IOP means)."""
    level_floor = LEVEL_FLOORS.get(level_of_care) if (certified or not asam_level) else None
    candidates = [f for f in (level_floor, ASAM_FLOORS.get((asam_level, population))) if f]
    if not candidates:
        return None
    return max(candidates, key=lambda f: f.hours)


def floor_problem(*, level_of_care: str, population: str, asam_level: str, weekly_hours_min: Decimal,
                  certified: bool = True) -> str | None:
    """A message naming the rule and source when a program's minimum is below its level's floor."""
    floor = weekly_floor(level_of_care=level_of_care, population=population, asam_level=asam_level,
                         certified=certified)
    if floor is None or weekly_hours_min >= floor.hours:
        return None
    return (f"The weekly hours minimum ({weekly_hours_min}) is below the {floor.rule} of {floor.hours} hours "
            f"({floor.source}); a program may raise it but not lower it.")


def default_requires_certification(level_of_care: str) -> bool:
    return level_of_care in CERTIFIED_BY_DEFAULT
