"""CMS Accountable Health Communities (AHC) Health-Related Social Needs (HRSN) screening
tool, core domains (pure; no database).

Source of the item wording: "The Accountable Health Communities Health-Related Social Needs Screening Tool"
(CMS Center for Medicare & Medicaid Innovation, 2018), core questions 1-10. Background and scoring rationale:
Billioux A, Verlander K, Anthony S, Alley D, "Standardized Screening for Health-Related Social Needs in Clinical
Settings: The Accountable Health Communities Screening Tool", NAM Perspectives, National Academy of Medicine,
2017. Public domain (U.S. government work). Wording TO CONFIRM word for word against the 2018 tool (README, rules
to confirm). Item wording and positive-screen rules below follow the tool's core questions 1-10:
- Living situation (housing instability, Q1) positive for answer 2 or 3;
  housing quality (Q2) positive for any problem other than "None of the above".
- Food insecurity (Q3-Q4, Hunger Vital Sign) positive if either is "Often true" or
  "Sometimes true".
- Transportation (Q5) positive for "Yes".
- Utilities (Q6) positive for "Yes" or "Already shut off".
- Interpersonal safety (Q7-Q10, adapted HITS): Never=1, Rarely=2, Sometimes=3,
  Fairly often=4, Frequently=5; positive when the sum is greater than 10.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCE = (
    "The Accountable Health Communities Health-Related Social Needs Screening Tool (CMS, 2018), core questions "
    "1-10 (background: Billioux et al., NAM Perspectives 2017)"
)


@dataclass(frozen=True, slots=True)
class Item:
    key: str
    domain: str
    text: str
    options: tuple[tuple[str, str], ...]
    multiple: bool = False


FREQ = (
    ("never", "Never"),
    ("rarely", "Rarely"),
    ("sometimes", "Sometimes"),
    ("fairly_often", "Fairly often"),
    ("frequently", "Frequently"),
)
FREQ_POINTS = {"never": 1, "rarely": 2, "sometimes": 3, "fairly_often": 4, "frequently": 5}
FOOD = (("often", "Often true"), ("sometimes", "Sometimes true"), ("never", "Never true"))

DOMAINS: tuple[tuple[str, str], ...] = (
    ("housing", "Housing instability"),
    ("housing_quality", "Housing quality"),
    ("food", "Food insecurity"),
    ("transportation", "Transportation problems"),
    ("utilities", "Utility help needs"),
    ("safety", "Interpersonal safety"),
)
DOMAIN_LABELS = dict(DOMAINS)

ITEMS: tuple[Item, ...] = (
    Item(
        "living_situation",
        "housing",
        "What is your living situation today?",
        (
            ("steady", "I have a steady place to live"),
            ("worried", "I have a place to live today, but I am worried about losing it in the future"),
            (
                "not_steady",
                "I do not have a steady place to live (I am temporarily staying with others, in a "
                "hotel, in a shelter, living outside on the street, on a beach, in a car, abandoned "
                "building, bus or train station, or in a park)",
            ),
        ),
    ),
    Item(
        "housing_problems",
        "housing_quality",
        "Think about the place you live. Do you have problems with any of the following? "
        "(Choose all that apply)",
        (
            ("pests", "Pests such as bugs, ants, or mice"),
            ("mold", "Mold"),
            ("lead", "Lead paint or pipes"),
            ("heat", "Lack of heat"),
            ("oven", "Oven or stove not working"),
            ("smoke_detectors", "Smoke detectors missing or not working"),
            ("water_leaks", "Water leaks"),
            ("none", "None of the above"),
        ),
        multiple=True,
    ),
    Item(
        "food_worry",
        "food",
        "Within the past 12 months, you worried that your food would run out before you got "
        "money to buy more.",
        FOOD,
    ),
    Item(
        "food_last",
        "food",
        "Within the past 12 months, the food you bought just didn't last and you didn't have "
        "money to get more.",
        FOOD,
    ),
    Item(
        "transportation",
        "transportation",
        "In the past 12 months, has lack of reliable transportation kept you from medical "
        "appointments, meetings, work or from getting things needed for daily living?",
        (("yes", "Yes"), ("no", "No")),
    ),
    Item(
        "utilities",
        "utilities",
        "In the past 12 months has the electric, gas, oil, or water company threatened to shut "
        "off services in your home?",
        (("yes", "Yes"), ("no", "No"), ("already_shut_off", "Already shut off")),
    ),
    Item("safety_hurt", "safety", "How often does anyone, including family and friends, physically hurt you?", FREQ),
    Item("safety_insult", "safety", "How often does anyone, including family and friends, insult or talk down to you?", FREQ),
    Item("safety_threaten", "safety", "How often does anyone, including family and friends, threaten you with harm?", FREQ),
    Item("safety_scream", "safety", "How often does anyone, including family and friends, scream or curse at you?", FREQ),
)
ITEM_BY_KEY = {i.key: i for i in ITEMS}
SAFETY_THRESHOLD = 10  # positive when the sum of Q7-Q10 is greater than 10


class HrsnError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class HrsnResult:
    positive_domains: tuple[str, ...]
    safety_score: int | None
    declined: tuple[str, ...] = field(default=())

    @property
    def any_positive(self) -> bool:
        return bool(self.positive_domains)

    def labels(self) -> list[str]:
        return [DOMAIN_LABELS[d] for d in self.positive_domains]


def score(answers: dict[str, object]) -> HrsnResult:
    """Validate answers and apply the positive-screen rules.

    answers: item key -> option key (or a list of option keys for housing_problems).
    A value of None means the patient declined that item; a declined domain is not
    positive but is reported in `declined`.
    """
    for key, value in answers.items():
        if key not in ITEM_BY_KEY:
            raise HrsnError(f"Unknown screening item {key!r}.", field=key)
        item = ITEM_BY_KEY[key]
        allowed = {o for o, _ in item.options}
        if value is None:
            continue
        values = value if item.multiple else [value]
        if item.multiple and not isinstance(value, (list, tuple, set, frozenset)):
            raise HrsnError("Choose one or more options.", field=key)
        for v in values:
            if v not in allowed:
                raise HrsnError(f"Choose one of the listed answers for: {item.text}", field=key)
        if item.multiple and "none" in values and len(values) > 1:
            raise HrsnError('"None of the above" cannot be combined with other problems.', field=key)

    def get(key: str) -> object:
        return answers.get(key)

    positive: list[str] = []
    declined: list[str] = []

    if get("living_situation") is None:
        declined.append("housing")
    elif get("living_situation") in ("worried", "not_steady"):
        positive.append("housing")

    problems = get("housing_problems")
    if problems is None:
        declined.append("housing_quality")
    elif any(p != "none" for p in problems):  # type: ignore[union-attr]
        positive.append("housing_quality")

    food = [get("food_worry"), get("food_last")]
    if all(v is None for v in food):
        declined.append("food")
    elif any(v in ("often", "sometimes") for v in food):
        positive.append("food")

    if get("transportation") is None:
        declined.append("transportation")
    elif get("transportation") == "yes":
        positive.append("transportation")

    if get("utilities") is None:
        declined.append("utilities")
    elif get("utilities") in ("yes", "already_shut_off"):
        positive.append("utilities")

    safety_keys = ("safety_hurt", "safety_insult", "safety_threaten", "safety_scream")
    safety_values = [get(k) for k in safety_keys]
    safety_score: int | None = None
    if any(v is None for v in safety_values):
        if not all(v is None for v in safety_values):
            raise HrsnError(
                "Answer all four safety questions (or leave all four blank if the patient declines).",
                field="safety_hurt",
            )
        declined.append("safety")
    else:
        safety_score = sum(FREQ_POINTS[str(v)] for v in safety_values)
        if safety_score > SAFETY_THRESHOLD:
            positive.append("safety")

    return HrsnResult(positive_domains=tuple(positive), safety_score=safety_score, declined=tuple(declined))
