"""Template schema parsing, content validation, form parsing and display (pure, no database)."""

import pytest

from trellis.documentation.default_templates import PARSED_DEFAULTS
from trellis.documentation.note_schema import (
    FieldKind,
    SchemaError,
    Scope,
    content_from_form,
    display_sections,
    empty_content,
    linked_objectives,
    parse_template,
    template_to_dict,
    validate_content,
)

GROUP = PARSED_DEFAULTS["group_psychotherapy"]
MED = PARSED_DEFAULTS["medication_management"]

SHARED_OK = {
    "group": {
        "topic": "Coping with cravings",
        "curriculum": "Relapse prevention, module 3",
        "interventions": ["cbt", "relapse_prevention"],
        "start_time": "09:00",
        "end_time": "10:30",
        "summary": "",
    }
}


def participant_ok(objective="obj-1"):
    return {
        "participant": {
            "participation": "active",
            "mood_affect": ["anxious", "congruent"],
            "response": "receptive",
            "response_detail": "",
            "objectives": [objective],
            "progress": "progressing",
            "progress_detail": "Used urge surfing twice.",
            "risk": {"suicidal_ideation": "denied", "homicidal_ideation": "denied", "self_harm": "denied",
                     "risk_level": "low"},
            "plan": "Continue module 4.",
        }
    }


def paths(errors):
    return {e.path for e in errors}


def test_valid_shared_and_participant_content():
    assert validate_content(GROUP, SHARED_OK, scope=Scope.SHARED, require_complete=True) == []
    assert validate_content(GROUP, participant_ok(), scope=Scope.PARTICIPANT, require_complete=True,
                            allowed_objectives={"obj-1"}) == []


def test_draft_may_leave_required_fields_empty_but_signing_may_not():
    empty = empty_content(GROUP, Scope.PARTICIPANT)
    assert validate_content(GROUP, empty, scope="participant", require_complete=False) == []
    errors = validate_content(GROUP, empty, scope="participant", require_complete=True, allowed_objectives={"o"})
    assert {"participant.participation", "participant.mood_affect", "participant.plan",
            "participant.risk", "participant.objectives"} <= paths(errors)
    msg = next(e for e in errors if e.path == "participant.plan")
    assert str(msg) == "Plan for next session: is required before signing"


def test_required_objectives_are_waived_without_a_current_plan():
    content = participant_ok()
    content["participant"]["objectives"] = []
    assert validate_content(GROUP, content, scope="participant", require_complete=True,
                            allowed_objectives=set()) == []
    errors = validate_content(GROUP, content, scope="participant", require_complete=True,
                              allowed_objectives={"obj-1"})
    assert paths(errors) == {"participant.objectives"}


def test_bad_values_get_per_field_messages():
    content = {"group": {"topic": 5, "interventions": ["cbt", "voodoo"], "start_time": "9am",
                         "end_time": "25:00"}}
    errors = validate_content(GROUP, content, scope="shared", require_complete=False)
    by_path = {e.path: e.message for e in errors}
    assert by_path["group.topic"] == "must be text"
    assert "voodoo" in by_path["group.interventions"]
    assert by_path["group.start_time"].startswith("enter a time")
    assert by_path["group.end_time"].startswith("enter a time")


def test_end_time_must_follow_start_time():
    content = {"group": {**SHARED_OK["group"], "end_time": "08:00"}}
    errors = validate_content(GROUP, content, scope="shared", require_complete=True)
    assert [(e.path, e.message) for e in errors] == [("group.end_time", "must be later than Start time")]


def test_unknown_sections_and_fields_are_refused():
    errors = validate_content(GROUP, {"group": {**SHARED_OK["group"], "extra": "x"}, "nope": {}},
                              scope="shared", require_complete=False)
    assert {"group.extra", "nope"} <= paths(errors)


def test_participant_scope_does_not_accept_shared_sections():
    errors = validate_content(GROUP, SHARED_OK, scope="participant", require_complete=False)
    assert "group" in paths(errors)


def test_objective_from_another_plan_is_refused():
    errors = validate_content(GROUP, participant_ok("someone-elses"), scope="participant", require_complete=True,
                              allowed_objectives={"obj-1", "obj-2"})
    assert [e.path for e in errors] == ["participant.objectives"]
    assert "this patient's current treatment plan" in errors[0].message
    # With no plan at all, no objective can be linked.
    errors = validate_content(GROUP, participant_ok("obj-1"), scope="participant", require_complete=False,
                              allowed_objectives=None)
    assert [e.path for e in errors] == ["participant.objectives"]


@pytest.mark.parametrize(
    ("risk", "bad_path"),
    [
        ({"suicidal_ideation": "passive", "homicidal_ideation": "denied", "self_harm": "denied",
          "risk_level": "low"}, "participant.risk.actions"),
        ({"suicidal_ideation": "denied", "homicidal_ideation": "denied", "self_harm": "denied",
          "risk_level": "moderate"}, "participant.risk.actions"),
        ({"suicidal_ideation": "active_plan", "homicidal_ideation": "denied", "self_harm": "denied",
          "risk_level": "low", "actions": "safety plan"}, "participant.risk.risk_level"),
        ({"suicidal_ideation": "denied"}, "participant.risk.risk_level"),
        ({"suicidal_ideation": "maybe", "homicidal_ideation": "denied", "self_harm": "denied",
          "risk_level": "low"}, "participant.risk.suicidal_ideation"),
    ],
)
def test_risk_block_rules(risk, bad_path):
    content = participant_ok()
    content["participant"]["risk"] = risk
    errors = validate_content(GROUP, content, scope="participant", require_complete=True,
                              allowed_objectives={"obj-1"})
    assert bad_path in paths(errors)


def test_risk_block_with_actions_is_valid():
    content = participant_ok()
    content["participant"]["risk"] = {"suicidal_ideation": "passive", "homicidal_ideation": "denied",
                                      "self_harm": "denied", "risk_level": "moderate",
                                      "actions": "Safety plan reviewed; prescriber notified."}
    assert validate_content(GROUP, content, scope="participant", require_complete=True,
                            allowed_objectives={"obj-1"}) == []


def test_scale_and_number_ranges():
    skills = PARSED_DEFAULTS["skills_group"]
    content = empty_content(skills, "participant")
    content["participant"]["skill_understanding"] = 7
    errors = validate_content(skills, content, scope="participant", require_complete=False)
    assert [(e.path, e.message) for e in errors] == [("participant.skill_understanding", "must be between 1 and 5")]
    content["participant"]["skill_understanding"] = 2.5
    errors = validate_content(skills, content, scope="participant", require_complete=False)
    assert errors[0].message == "must be a whole number"
    vitals = {"vitals": {"bp_systolic": 300, "pulse": True, "weight": 180.5}}
    errors = validate_content(MED, vitals, scope="participant", require_complete=False)
    assert {(e.path, e.message) for e in errors} == {
        ("vitals.bp_systolic", "must be between 50 and 260 mmHg"),
        ("vitals.pulse", "must be a number"),
    }


def test_medication_changes():
    content = {"plan": {"medication_changes": [
        {"medication": "Sertraline", "change": "increase", "dose": "100 mg daily", "instructions": ""},
        {"medication": "", "change": "stop"},
        {"medication": "Quetiapine", "change": "start"},
        {"medication": "Lithium", "change": "double"},
    ]}}
    errors = validate_content(MED, content, scope="participant", require_complete=False)
    assert paths(errors) == {"plan.medication_changes.2.medication", "plan.medication_changes.3.dose",
                             "plan.medication_changes.4.change"}


def test_content_must_be_a_mapping():
    errors = validate_content(GROUP, ["x"], scope="shared", require_complete=False)
    assert errors[0].message == "content must be an object of sections"


def test_schema_round_trip_for_every_default():
    for schema in PARSED_DEFAULTS.values():
        assert parse_template(template_to_dict(schema)) == schema


def test_malformed_template_lists_every_problem():
    with pytest.raises(SchemaError) as exc:
        parse_template({
            "key": "Bad Key",
            "name": "",
            "sections": [
                {"key": "a", "scope": "everyone", "fields": [
                    {"key": "c", "label": "C", "kind": "choice"},
                    {"key": "c", "label": "C2", "kind": "text"},
                    {"key": "s", "label": "S", "kind": "scale", "min": 5, "max": 1},
                    {"key": "x", "label": "X", "kind": "hologram"},
                    {"key": "t", "label": "T", "kind": "time", "after": "zzz"},
                ]},
                {"key": "a", "fields": []},
            ],
        })
    text = str(exc.value)
    for fragment in ("lower_snake_case", "name is required", "unknown scope", "needs choices",
                     "duplicate field key", "min < max", "unknown kind", "unknown field 'zzz'",
                     "duplicate section key", "has no fields"):
        assert fragment in text


def test_content_from_form_round_trip():
    data = {
        "p-1-participant.participation": ["active"],
        "p-1-participant.mood_affect": ["anxious", "anxious", "flat"],
        "p-1-participant.response": [""],
        "p-1-participant.objectives": ["obj-1"],
        "p-1-participant.risk.suicidal_ideation": ["denied"],
        "p-1-participant.risk.actions": ["line1\r\nline2"],
        "p-1-participant.plan": ["Next: module 4"],
    }
    content, errors = content_from_form(GROUP, "participant", data, prefix="p-1-")
    assert errors == []
    part = content["participant"]
    assert part["participation"] == "active"
    assert part["mood_affect"] == ["anxious", "flat"]
    assert part["response"] is None
    assert part["risk"] == {"suicidal_ideation": "denied", "actions": "line1\nline2"}
    assert part["plan"] == "Next: module 4"
    assert part["progress_detail"] == ""


def test_content_from_form_reports_unreadable_numbers_and_keeps_the_rest():
    data = {"vitals.bp_systolic": ["abc"], "vitals.pulse": ["72"], "vitals.weight": ["180.5"],
            "subjective.history": ["Doing better"],
            "plan.medication_changes.0.medication": ["Sertraline"],
            "plan.medication_changes.0.change": ["continue"],
            "plan.medication_changes.1.medication": [""]}
    content, errors = content_from_form(MED, "participant", data)
    assert [(e.path, e.message) for e in errors] == [("vitals.bp_systolic", "must be a number")]
    assert content["vitals"]["pulse"] == 72
    assert content["vitals"]["weight"] == 180.5
    assert content["subjective"]["history"] == "Doing better"
    assert content["plan"]["medication_changes"] == [
        {"medication": "Sertraline", "change": "continue", "dose": "", "instructions": ""}]


def test_display_sections_and_objective_links():
    content = participant_ok()
    shown = display_sections(GROUP, content, scope="participant", objective_labels={"obj-1": "1a. Use a skill"})
    rows = {r.label: r.text for r in shown[0].rows}
    assert rows["Participation level"] == "Active, initiated contributions"
    assert rows["Mood / affect"] == "Anxious, Affect congruent with content"
    assert rows["Treatment-plan objectives addressed"] == "1a. Use a skill"
    assert rows["Response – observations"] == "—"
    assert "Suicidal ideation: Denied" in rows["Risk assessment"]
    assert linked_objectives(GROUP, content) == ["obj-1"]


def test_field_kinds_used_by_defaults_cover_the_issue_list():
    kinds = {f.kind for s in PARSED_DEFAULTS.values() for sec in s.sections for f in sec.fields}
    assert {FieldKind.TEXT, FieldKind.CHOICE, FieldKind.MULTI_CHOICE, FieldKind.SCALE, FieldKind.OBJECTIVES,
            FieldKind.RISK} <= kinds


@pytest.mark.parametrize("bad", [
    {"key": "x", "name": "X", "sections": "abc"},
    {"key": "x", "name": "X", "sections": [{"key": "a", "fields": [["not", "a", "dict"]]}]},
    {"key": "x", "name": "X", "sections": [{"key": "a", "fields": [{"key": "c", "kind": "choice",
                                                                    "choices": [["only-one"]]}]}]},
    {"key": "x", "name": "X", "sections": [{"key": "a", "fields": [{"key": "s", "kind": "scale", "min": "a",
                                                                    "max": 3}]}]},
    ["not", "an", "object"],
])
def test_wrong_shapes_are_schema_errors_not_crashes(bad):
    with pytest.raises(SchemaError):
        parse_template(bad)
