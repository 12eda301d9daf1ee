"""Default note templates shipped with Trellis, as data.

An organization may copy and change them (a change makes a new template version; a note keeps the version it
was written on). Every template lists the sources of its format in ``sources``.

What belongs in a progress note vs a private psychotherapy note
----------------------------------------------------------------
HIPAA, 45 CFR 164.501 ("psychotherapy notes"): notes recorded by a mental health professional documenting or
analysing the contents of conversation during a private, group, joint or family counseling session, kept apart
from the rest of the record. The definition *excludes* medication prescription and monitoring, counseling session
start and stop times, the modalities and frequencies of treatment furnished, results of clinical tests, and any
summary of diagnosis, functional status, the treatment plan, symptoms, prognosis and progress to date. Those
excluded items are exactly what the progress-note templates below capture (start/stop times, interventions,
symptoms/mental status, progress on plan objectives, plan); process content belongs in the author-only
PrivateNote, never in these templates. 42 CFR 2.11 (as amended 89 FR 12472, Feb. 16 2024) defines the
equivalent "SUD counseling notes" for Part 2 programs.

Medicare also expects each psychotherapy/PHP service to be supported by a note that ties the service to the
individualized treatment plan and records time and progress: Medicare Benefit Policy Manual (CMS Pub. 100-02)
Ch. 6 §70.3 (partial hospitalization services, documentation supporting each service and the plan of care) and
42 CFR 410.43 (PHP services: individual and group psychotherapy, family counseling, patient education, ...);
the Medicare Program Integrity Manual (CMS Pub. 100-08) Ch. 3 §3.3.2.4 requires the author's signature.
"""

from __future__ import annotations

from typing import Any

from .note_schema import parse_template

# Citations ---------------------------------------------------------------------------------------------------
HIPAA_PSYCHOTHERAPY_NOTES = (
    "45 CFR 164.501 'psychotherapy notes': start/stop times, modality, interventions, symptoms, functional status, "
    "treatment plan and progress belong in the progress note, not in psychotherapy notes"
)
CMS_PHP = ("CMS Medicare Benefit Policy Manual (Pub. 100-02) Ch. 6 §70.3 and 42 CFR 410.43: each PHP/IOP service "
           "documented and tied to the individualized plan of care")
CMS_SIGNATURE = "CMS Medicare Program Integrity Manual (Pub. 100-08) Ch. 3 §3.3.2.4: signature requirements"
SOAP_SOURCE = ("SOAP (Subjective, Objective, Assessment, Plan): Weed LL. Medical records that guide and teach. "
               "N Engl J Med 1968;278:593-600 (problem-oriented medical record)")
DAP_SOURCE = ("DAP (Data, Assessment, Plan): Wiger DE. The Psychotherapy Documentation Primer, 3rd ed. "
              "Wiley, 2012")
BIRP_SOURCE = ("BIRP (Behavior, Intervention, Response, Plan): behavioral-health progress note convention "
               "(a behavior-focused variant of the problem-oriented SOAP note)")
DBT_SOURCE = "Linehan MM. DBT Skills Training Manual, 2nd ed. Guilford, 2015 (skills modules)"
NPSG_SOURCE = ("Risk block: The Joint Commission NPSG.15.01.01 (suicide risk screening/assessment in "
               "behavioral health care); C-SSRS screener categories (Posner et al., Am J Psychiatry 2011)")
FAMILY_SOURCE = ("CPT 90846/90847 family psychotherapy without/with the patient present: document who attended "
                 "and the family's focus of treatment")
EM_SOURCE = ("AMA CPT Evaluation and Management Services Guidelines (2021 office/outpatient E/M, adopted by CMS "
             "in the CY2021 Physician Fee Schedule final rule): history, exam, medical decision making "
             "including prescription drug management")
NURSING_SOURCE = ("ANA Nursing: Scope and Standards of Practice, 4th ed. (2021): assessment, diagnosis, outcomes, "
                  "planning, implementation, evaluation; 0-10 numeric pain rating scale")
TCM_SOURCE = ("42 CFR 441.18(a)(7) case management records: date, provider, nature/content/units of service, "
              "whether care-plan goals are achieved, services declined, coordination with other case "
              "managers, timeline for obtaining needed services and for reevaluation")

# Reusable field definitions ---------------------------------------------------------------------------------
INTERVENTIONS = [
    ["cbt", "Cognitive behavioral (CBT) techniques"],
    ["dbt_skills", "DBT skills training"],
    ["mi", "Motivational interviewing"],
    ["psychoeducation", "Psychoeducation"],
    ["mindfulness", "Mindfulness / grounding"],
    ["role_play", "Role play / behavioral rehearsal"],
    ["relapse_prevention", "Relapse prevention"],
    ["process", "Process-oriented group work"],
    ["act", "Acceptance and commitment (ACT) techniques"],
    ["trauma_informed", "Trauma-informed stabilization"],
    ["supportive", "Supportive therapy"],
    ["safety_planning", "Safety planning"],
]
MOOD_AFFECT = [
    ["euthymic", "Euthymic"],
    ["anxious", "Anxious"],
    ["depressed", "Depressed"],
    ["irritable", "Irritable"],
    ["euphoric", "Elevated / euphoric"],
    ["labile", "Labile"],
    ["flat", "Flat / blunted"],
    ["constricted", "Constricted"],
    ["tearful", "Tearful"],
    ["congruent", "Affect congruent with content"],
    ["incongruent", "Affect incongruent with content"],
]
PARTICIPATION = [
    ["active", "Active, initiated contributions"],
    ["engaged", "Engaged when prompted"],
    ["minimal", "Minimal, mostly listened"],
    ["withdrawn", "Withdrawn / did not participate"],
    ["disruptive", "Disruptive"],
]
RESPONSE = [
    ["receptive", "Receptive, applied the intervention"],
    ["partial", "Partially receptive"],
    ["resistant", "Resistant / declined"],
    ["unable", "Unable to engage (symptoms)"],
]
PROGRESS = [
    ["progressing", "Progressing"],
    ["maintaining", "Maintaining"],
    ["minimal", "Minimal progress"],
    ["regressing", "Regressing"],
]


def _f(key: str, label: str, kind: str, required: bool = False, **kw: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "kind": kind, "required": required, **kw}


def _times() -> list[dict[str, Any]]:
    # Session start and stop times belong in the progress note (45 CFR 164.501) and support time-based codes.
    return [
        _f("start_time", "Start time", "time", True, multiline=False),
        _f("end_time", "End time", "time", True, multiline=False, after="start_time"),
    ]


def _objectives(required: bool = True) -> list[dict[str, Any]]:
    return [
        _f("objectives", "Treatment-plan objectives addressed", "objectives", required,
           help="Pick from this patient's current treatment plan."),
        _f("progress", "Progress toward objectives", "choice", required, choices=PROGRESS),
        _f("progress_detail", "Progress – evidence", "text", False),
    ]


def _risk(required: bool = True) -> dict[str, Any]:
    return _f("risk", "Risk assessment", "risk", required)


def _group_participant(extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "key": "participant",
        "title": "Individual participation",
        "scope": "participant",
        "fields": [
            _f("participation", "Participation level", "choice", True, choices=PARTICIPATION),
            _f("mood_affect", "Mood / affect", "multi_choice", True, choices=MOOD_AFFECT),
            _f("response", "Response to interventions", "choice", True, choices=RESPONSE),
            _f("response_detail", "Response – observations", "text", False),
            *(extra or []),
            *_objectives(),
            _risk(),
            _f("plan", "Plan for next session", "text", True),
        ],
    }


GROUP_PSYCHOTHERAPY: dict[str, Any] = {
    "key": "group_psychotherapy",
    "name": "Group psychotherapy note",
    "format": "group",
    "description": "Written once per group session; each attendee gets an individualized section.",
    "service_types": ["group_psychotherapy"],
    "sources": [CMS_PHP, HIPAA_PSYCHOTHERAPY_NOTES, NPSG_SOURCE, CMS_SIGNATURE],
    "sections": [
        {
            "key": "group",
            "title": "Group session",
            "scope": "shared",
            "fields": [
                _f("topic", "Topic", "text", True, multiline=False, max_length=300),
                _f("curriculum", "Curriculum / module", "text", False, multiline=False, max_length=300),
                _f("interventions", "Interventions used", "multi_choice", True, choices=INTERVENTIONS),
                *_times(),
                _f("summary", "Group process summary (no patient names)", "text", False),
            ],
        },
        _group_participant(),
    ],
}

SKILLS_GROUP: dict[str, Any] = {
    "key": "skills_group",
    "name": "Skills group note",
    "format": "group",
    "description": "Skills training group (DBT/CBT skills).",
    "service_types": ["skills_group"],
    "sources": [DBT_SOURCE, CMS_PHP, HIPAA_PSYCHOTHERAPY_NOTES, NPSG_SOURCE],
    "sections": [
        {
            "key": "group",
            "title": "Skills session",
            "scope": "shared",
            "fields": [
                _f("topic", "Skill taught", "text", True, multiline=False, max_length=300),
                _f("module", "Skills module", "choice", True, choices=[
                    ["mindfulness", "Mindfulness"],
                    ["distress_tolerance", "Distress tolerance"],
                    ["emotion_regulation", "Emotion regulation"],
                    ["interpersonal_effectiveness", "Interpersonal effectiveness"],
                    ["cbt_coping", "CBT coping skills"],
                    ["relapse_prevention", "Relapse prevention skills"],
                ]),
                _f("interventions", "Interventions used", "multi_choice", True, choices=INTERVENTIONS),
                _f("homework", "Practice assignment", "text", False),
                *_times(),
            ],
        },
        _group_participant([
            _f("homework_review", "Previous practice assignment", "choice", False, choices=[
                ["completed", "Completed"], ["partial", "Partially completed"], ["not_done", "Not completed"],
                ["none", "None assigned"]]),
            _f("skill_understanding", "Demonstrated understanding of the skill", "scale", True, min=1, max=5,
               anchors=["none", "can teach it back"]),
        ]),
    ],
}

PSYCHOEDUCATION: dict[str, Any] = {
    "key": "psychoeducation",
    "name": "Psychoeducation group note",
    "format": "group",
    "description": "Patient education group (42 CFR 410.43(a): patient training and education).",
    "service_types": ["psychoeducation"],
    "sources": [CMS_PHP, HIPAA_PSYCHOTHERAPY_NOTES, NPSG_SOURCE],
    "sections": [
        {
            "key": "group",
            "title": "Education session",
            "scope": "shared",
            "fields": [
                _f("topic", "Topic", "text", True, multiline=False, max_length=300),
                _f("curriculum", "Curriculum / module", "text", False, multiline=False, max_length=300),
                _f("learning_objectives", "Learning objectives", "text", True),
                _f("interventions", "Methods used", "multi_choice", True, choices=INTERVENTIONS),
                *_times(),
            ],
        },
        _group_participant([
            _f("understanding", "Understanding of material", "scale", True, min=1, max=5,
               anchors=["none", "full"]),
        ]),
    ],
}


def _individual(key: str, name: str, fmt: str, source: str, body: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "key": key,
        "name": name,
        "format": fmt,
        "description": f"Individual therapy progress note in {fmt} format.",
        "service_types": ["individual_therapy"],
        "sources": [source, HIPAA_PSYCHOTHERAPY_NOTES, CMS_PHP, NPSG_SOURCE],
        "sections": [
            {"key": "session", "title": "Session", "scope": "shared", "fields": [
                *_times(),
                _f("interventions", "Interventions used", "multi_choice", True, choices=INTERVENTIONS),
            ]},
            *body,
        ],
    }



def _assessment_section() -> dict:
    """DAP and SOAP share the assessment: clinical assessment, plan objectives addressed, risk."""
    return {"key": "assessment", "title": "Assessment", "scope": "participant", "fields": [
        _f("assessment", "Clinical assessment", "text", True),
        *_objectives(),
        _risk(),
    ]}


def _plan_section() -> dict:
    return {"key": "plan", "title": "Plan", "scope": "participant", "fields": [
        _f("plan", "Plan", "text", True),
        _f("next_session", "Next session", "text", False, multiline=False, max_length=200),
    ]}


INDIVIDUAL_DAP = _individual("individual_dap", "Individual therapy note (DAP)", "DAP", DAP_SOURCE, [
    {"key": "data", "title": "Data", "scope": "participant", "fields": [
        _f("subjective", "Patient report (subjective)", "text", True),
        _f("observations", "Clinician observations (objective)", "text", True),
        _f("mood_affect", "Mood / affect", "multi_choice", False, choices=MOOD_AFFECT),
    ]},
    _assessment_section(),
    _plan_section(),
])

INDIVIDUAL_SOAP = _individual("individual_soap", "Individual therapy note (SOAP)", "SOAP", SOAP_SOURCE, [
    {"key": "subjective", "title": "Subjective", "scope": "participant", "fields": [
        _f("subjective", "Patient report, in the patient's words", "text", True),
    ]},
    {"key": "objective", "title": "Objective", "scope": "participant", "fields": [
        _f("observations", "Observations / mental status", "text", True),
        _f("mood_affect", "Mood / affect", "multi_choice", False, choices=MOOD_AFFECT),
    ]},
    _assessment_section(),
    _plan_section(),
])

INDIVIDUAL_BIRP = _individual("individual_birp", "Individual therapy note (BIRP)", "BIRP", BIRP_SOURCE, [
    {"key": "behavior", "title": "Behavior", "scope": "participant", "fields": [
        _f("behavior", "Presenting behavior / patient report", "text", True),
        _f("mood_affect", "Mood / affect", "multi_choice", False, choices=MOOD_AFFECT),
    ]},
    {"key": "intervention", "title": "Intervention", "scope": "participant", "fields": [
        _f("intervention", "Interventions delivered", "text", True),
    ]},
    {"key": "response", "title": "Response", "scope": "participant", "fields": [
        _f("response", "Patient response", "text", True),
        *_objectives(),
        _risk(),
    ]},
    _plan_section(),
])

FAMILY_SESSION: dict[str, Any] = {
    "key": "family_session",
    "name": "Family session note",
    "format": "family",
    "description": "Family psychotherapy with or without the patient present.",
    "service_types": ["family_therapy"],
    "sources": [FAMILY_SOURCE, HIPAA_PSYCHOTHERAPY_NOTES, CMS_PHP, NPSG_SOURCE],
    "sections": [
        {"key": "session", "title": "Session", "scope": "shared", "fields": [
            *_times(),
            _f("patient_present", "Patient present", "choice", True,
               choices=[["yes", "Yes (CPT 90847)"], ["no", "No (CPT 90846)"]]),
            _f("attendees", "Family members present (relationship)", "text", True, multiline=False,
               max_length=500),
            _f("interventions", "Interventions used", "multi_choice", True, choices=INTERVENTIONS),
        ]},
        {"key": "family", "title": "Family work", "scope": "participant", "fields": [
            _f("focus", "Focus of session", "text", True),
            _f("dynamics", "Family interactions observed", "text", True),
            _f("response", "Response to interventions", "choice", True, choices=RESPONSE),
            *_objectives(),
            _risk(),
            _f("plan", "Plan", "text", True),
        ]},
    ],
}

MEDICATION_MANAGEMENT: dict[str, Any] = {
    "key": "medication_management",
    "name": "Medication management note",
    "format": "SOAP",
    "description": "Prescriber visit: interval history, vitals, assessment and medication changes.",
    "service_types": ["medication_management"],
    "sources": [EM_SOURCE, SOAP_SOURCE, NPSG_SOURCE, HIPAA_PSYCHOTHERAPY_NOTES],
    "sections": [
        {"key": "visit", "title": "Visit", "scope": "shared", "fields": [*_times()]},
        {"key": "subjective", "title": "Interval history", "scope": "participant", "fields": [
            _f("history", "Interval history / chief complaint", "text", True),
            _f("adherence", "Medication adherence", "choice", True, choices=[
                ["full", "Taking as prescribed"], ["partial", "Missed doses"], ["none", "Not taking"],
                ["na", "No current medications"]]),
            _f("side_effects", "Side effects reported", "text", False),
        ]},
        {"key": "vitals", "title": "Vital signs", "scope": "participant", "fields": [
            _f("bp_systolic", "Blood pressure – systolic", "number", False, min=50, max=260, unit="mmHg"),
            _f("bp_diastolic", "Blood pressure – diastolic", "number", False, min=30, max=160, unit="mmHg"),
            _f("pulse", "Pulse", "number", False, min=20, max=250, unit="/min"),
            _f("weight", "Weight", "number", False, min=1, max=1000, unit="lb", integer=False),
            _f("temperature", "Temperature", "number", False, min=90, max=110, unit="°F", integer=False),
        ]},
        {"key": "assessment", "title": "Assessment", "scope": "participant", "fields": [
            _f("mental_status", "Mental status", "text", True),
            _f("assessment", "Assessment", "text", True),
            *_objectives(required=False),
            _risk(),
        ]},
        {"key": "plan", "title": "Plan", "scope": "participant", "fields": [
            _f("medication_changes", "Medication changes", "medications", False),
            _f("labs", "Labs / monitoring ordered", "text", False),
            _f("plan", "Plan and follow-up", "text", True),
        ]},
    ],
}

NURSING_CHECK_IN: dict[str, Any] = {
    "key": "nursing_check_in",
    "name": "Nursing check-in note",
    "format": "nursing",
    "description": "Nursing assessment: vitals, sleep, appetite, medication adherence, pain and risk.",
    "service_types": ["nursing_check_in"],
    "sources": [NURSING_SOURCE, NPSG_SOURCE],
    "sections": [
        {"key": "visit", "title": "Visit", "scope": "shared", "fields": [*_times()]},
        {"key": "assessment", "title": "Nursing assessment", "scope": "participant", "fields": [
            _f("bp_systolic", "Blood pressure – systolic", "number", False, min=50, max=260, unit="mmHg"),
            _f("bp_diastolic", "Blood pressure – diastolic", "number", False, min=30, max=160, unit="mmHg"),
            _f("pulse", "Pulse", "number", False, min=20, max=250, unit="/min"),
            _f("sleep_hours", "Sleep last night", "number", False, min=0, max=24, unit="hours", integer=False),
            _f("appetite", "Appetite", "choice", False, choices=[
                ["normal", "Normal"], ["decreased", "Decreased"], ["increased", "Increased"]]),
            _f("adherence", "Medication adherence", "choice", True, choices=[
                ["full", "Taking as prescribed"], ["partial", "Missed doses"], ["none", "Not taking"],
                ["na", "No current medications"]]),
            _f("side_effects", "Side effects / physical complaints", "text", False),
            _f("pain", "Pain", "scale", False, min=0, max=10, anchors=["no pain", "worst possible"]),
            _risk(),
        ]},
        {"key": "plan", "title": "Interventions and plan", "scope": "participant", "fields": [
            _f("interventions", "Nursing interventions", "text", True),
            _f("plan", "Plan / follow-up", "text", True),
        ]},
    ],
}

CASE_MANAGEMENT: dict[str, Any] = {
    "key": "case_management",
    "name": "Case management note",
    "format": "case_management",
    "description": "Linkage, coordination and monitoring (42 CFR 441.18(a)(7) elements).",
    "service_types": ["case_management"],
    "sources": [TCM_SOURCE],
    "sections": [
        {"key": "contact", "title": "Contact", "scope": "shared", "fields": [
            *_times(),
            _f("contact_type", "Contact type", "choice", True, choices=[
                ["face_to_face", "Face to face"], ["telephone", "Telephone"], ["video", "Video"],
                ["collateral", "Collateral contact (no patient)"]]),
        ]},
        {"key": "service", "title": "Service", "scope": "participant", "fields": [
            _f("domains", "Needs addressed", "multi_choice", True, choices=[
                ["housing", "Housing"], ["benefits", "Benefits / insurance"], ["transportation", "Transportation"],
                ["legal", "Legal"], ["employment", "Employment / school"], ["medical", "Medical care linkage"],
                ["aftercare", "Aftercare / step-down"], ["food", "Food security"], ["other", "Other"]]),
            _f("description", "Nature and content of the service", "text", True),
            *_objectives(),
            _f("declined", "Patient declined services", "choice", True,
               choices=[["no", "No"], ["yes", "Yes"]]),
            _f("coordination", "Coordination with other providers / case managers", "text", False),
            _f("timeline", "Timeline for obtaining needed services", "text", True, multiline=False,
               max_length=500),
            _f("next_review", "Next review", "text", False, multiline=False, max_length=200),
        ]},
    ],
}

DEFAULT_TEMPLATES: list[dict[str, Any]] = [
    GROUP_PSYCHOTHERAPY,
    SKILLS_GROUP,
    PSYCHOEDUCATION,
    INDIVIDUAL_DAP,
    INDIVIDUAL_SOAP,
    INDIVIDUAL_BIRP,
    FAMILY_SESSION,
    MEDICATION_MANAGEMENT,
    NURSING_CHECK_IN,
    CASE_MANAGEMENT,
]

# The template used by default for each programs.ServiceType value. Intake sessions default to the DAP
# note (the structured intake assessment itself is the referrals app's IntakeAssessment).
DEFAULT_TEMPLATE_FOR_SERVICE: dict[str, str] = {
    "group_psychotherapy": "group_psychotherapy",
    "skills_group": "skills_group",
    "psychoeducation": "psychoeducation",
    "individual_therapy": "individual_dap",
    "family_therapy": "family_session",
    "medication_management": "medication_management",
    "nursing_check_in": "nursing_check_in",
    "case_management": "case_management",
    "intake": "individual_dap",
}


def default_template(key: str) -> dict[str, Any]:
    for t in DEFAULT_TEMPLATES:
        if t["key"] == key:
            return t
    raise KeyError(key)


# Service types without templates of their own use another's.
SERVICE_FALLBACK: dict[str, str] = {"intake": "individual_therapy"}


def templates_for_service(service_type: str) -> list[dict[str, Any]]:
    """Default templates offered for a service type, the default first (individual therapy: DAP, SOAP, BIRP)."""
    default_key = DEFAULT_TEMPLATE_FOR_SERVICE.get(service_type)
    service_type = SERVICE_FALLBACK.get(service_type, service_type)
    found = [t for t in DEFAULT_TEMPLATES if service_type in t["service_types"]]
    found.sort(key=lambda t: t["key"] != default_key)
    return found


# Parse all at import: a broken default template fails loudly in every test run.
PARSED_DEFAULTS = {t["key"]: parse_template(t) for t in DEFAULT_TEMPLATES}
