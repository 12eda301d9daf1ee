"""Columbia Suicide Severity Rating Scale (C-SSRS), Screen Version (pure; no database).

Sources:
- Posner K, Brown GK, Stanley B, et al. "The Columbia-Suicide Severity Rating Scale:
  initial validity and internal consistency findings from three multisite studies with
  adolescents and adults." Am J Psychiatry 2011;168(12):1266-1277.
- The Columbia Lighthouse Project, "C-SSRS Screen Version - Recent" / "Screen with Triage
  Points" (https://cssrs.columbia.edu). The scale is free to use for clinical care.
  Question wording below is the screener's published wording ("In the past month" for
  items 1-5; item 6 lifetime with the "past three months" follow-up).
- Triage: Columbia "Clinical triage guidelines using the C-SSRS": a yes to item 4 or 5
  (ideation with at least some intent in the past month) or any suicidal behavior in the
  past 3 months indicates HIGH risk (immediate evaluation and safety precautions);
  item 3 (method, no intent) or behavior more than 3 months ago indicates MODERATE risk;
  items 1-2 only indicate LOW risk. (The screener's color coding: yellow/orange/red.)

Skip logic: items 1 and 2 always; items 3, 4, 5 only if item 2 is yes; item 6 always,
and if item 6 is yes the sub-question "Was this within the past three months?".

Trellis rule (program policy): a HIGH result requires a completed safety plan
before the patient leaves. Context: The Joint Commission NPSG.15.01.01 (suicide prevention)
asks for screening with a validated tool and written procedures for patients at risk
(element numbers to be confirmed); the Stanley-Brown Safety Planning Intervention is the
usual instrument. Moderate results are prompted to complete a safety plan too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

SOURCE = (
    "C-SSRS Screen Version (Posner et al., Am J Psychiatry 2011;168:1266-77; "
    "The Columbia Lighthouse Project, cssrs.columbia.edu)"
)
INSTRUMENT_VERSION = "C-SSRS Screener (Recent) with triage points"


@dataclass(frozen=True, slots=True)
class Question:
    key: str
    number: str
    text: str
    help_text: str = ""


QUESTIONS: tuple[Question, ...] = (
    Question(
        "q1",
        "1",
        "Have you wished you were dead or wished you could go to sleep and not wake up?",
        "Wish to be dead. Past month.",
    ),
    Question(
        "q2",
        "2",
        "Have you actually had any thoughts of killing yourself?",
        "Non-specific active suicidal thoughts. Past month. If YES, ask questions 3, 4, 5 "
        "and 6. If NO, go directly to question 6.",
    ),
    Question(
        "q3",
        "3",
        "Have you been thinking about how you might do this?",
        'Active suicidal ideation with any methods (not plan) without intent to act; e.g. '
        '"I thought about taking an overdose but I never made a specific plan as to when, '
        'where or how I would actually do it... and I would never go through with it."',
    ),
    Question(
        "q4",
        "4",
        "Have you had these thoughts and had some intention of acting on them?",
        'Active suicidal ideation with some intent to act, without specific plan; as opposed '
        'to "I have the thoughts but I definitely will not do anything about them."',
    ),
    Question(
        "q5",
        "5",
        "Have you started to work out or worked out the details of how to kill yourself? "
        "Do you intend to carry out this plan?",
        "Active suicidal ideation with specific plan and intent.",
    ),
    Question(
        "q6",
        "6",
        "Have you ever done anything, started to do anything, or prepared to do anything "
        "to end your life?",
        "Suicidal behavior. Examples: collected pills, obtained a gun, gave away valuables, "
        "wrote a will or suicide note, took out pills but didn't swallow any, held a gun but "
        "changed your mind or it was grabbed from your hand, went to the roof but didn't "
        "jump; or actually took pills, tried to shoot yourself, cut yourself, tried to hang "
        "yourself, etc.",
    ),
    Question(
        "q6_recent",
        "6a",
        "If YES, ask: Was this within the past three months?",
        "Only when question 6 is YES.",
    ),
)
QUESTION_BY_KEY = {q.key: q for q in QUESTIONS}
DEPENDENT_ON_Q2 = ("q3", "q4", "q5")


class RiskLevel(enum.StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def label(self) -> str:
        return {
            "none": "No risk identified",
            "low": "Low risk",
            "moderate": "Moderate risk",
            "high": "High risk",
        }[self.value]


RECOMMENDATIONS: dict[RiskLevel, str] = {
    RiskLevel.NONE: "No suicidal ideation or behavior reported. Re-screen per program policy.",
    RiskLevel.LOW: "Behavioral health follow-up; review at next visit; provide crisis line (988).",
    RiskLevel.MODERATE: "Clinician assessment today; complete a safety plan; consider "
    "increasing level of care; provide crisis line (988).",
    RiskLevel.HIGH: "Immediate clinician evaluation and safety precautions; a completed "
    "safety plan is required before the patient leaves; consider emergency evaluation or "
    "a higher level of care.",
}


class ScreenError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class ScreenResult:
    answers: dict[str, bool | None]
    risk: RiskLevel
    recommendation: str
    requires_safety_plan: bool
    positive_items: tuple[str, ...]


def applicable_questions(answers: dict[str, bool | None]) -> list[str]:
    """Keys that must be answered given the answers so far (skip logic)."""
    keys = ["q1", "q2"]
    if answers.get("q2") is True:
        keys += list(DEPENDENT_ON_Q2)
    keys.append("q6")
    if answers.get("q6") is True:
        keys.append("q6_recent")
    return keys


def score(answers: dict[str, bool | None]) -> ScreenResult:
    """Validate the skip logic and return the risk level.

    `answers` maps question keys to True/False; skipped questions must be None/absent.
    """
    clean: dict[str, bool | None] = {q.key: answers.get(q.key) for q in QUESTIONS}
    required = applicable_questions(clean)
    for key in required:
        if clean[key] is None:
            q = QUESTION_BY_KEY[key]
            raise ScreenError(f"Answer question {q.number} (yes or no).", field=key)
    for key in clean:
        if key not in required and clean[key] is not None:
            if key in DEPENDENT_ON_Q2:
                raise ScreenError(
                    f"Question {QUESTION_BY_KEY[key].number} is asked only when question 2 is yes; "
                    "leave it blank.",
                    field=key,
                )
            raise ScreenError(
                "The three-month question is asked only when question 6 is yes; leave it blank.",
                field=key,
            )

    positive = tuple(k for k in required if clean[k] is True)
    if clean.get("q4") or clean.get("q5") or (clean["q6"] and clean.get("q6_recent")):
        risk = RiskLevel.HIGH
    elif clean.get("q3") or clean["q6"]:
        risk = RiskLevel.MODERATE
    elif clean["q1"] or clean["q2"]:
        risk = RiskLevel.LOW
    else:
        risk = RiskLevel.NONE
    return ScreenResult(
        answers=clean,
        risk=risk,
        recommendation=RECOMMENDATIONS[risk],
        requires_safety_plan=risk is RiskLevel.HIGH,
        positive_items=positive,
    )


# Minimum content of a safety plan (Stanley B, Brown GK. Safety Planning Intervention:
# A Brief Intervention to Mitigate Suicide Risk. Cogn Behav Pract 2012;19:256-264).
SAFETY_PLAN_SECTIONS: tuple[tuple[str, str], ...] = (
    ("warning_signs", "Warning signs (thoughts, images, mood, situations, behavior)"),
    ("coping_strategies", "Internal coping strategies"),
    ("social_contacts", "People and social settings that provide distraction"),
    ("help_contacts", "People I can ask for help"),
    ("professional_contacts", "Professionals or agencies I can contact in a crisis (incl. 988)"),
    ("means_safety", "Making the environment safe (lethal means)"),
)


def missing_safety_plan_sections(plan: dict[str, str]) -> list[str]:
    """Labels of the sections still empty."""
    return [label for key, label in SAFETY_PLAN_SECTIONS if not (plan.get(key) or "").strip()]
