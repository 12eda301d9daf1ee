"""The default templates: one per service type, DAP/SOAP/BIRP for individual therapy, sources cited."""

from trellis.documentation.default_templates import (
    DEFAULT_TEMPLATE_FOR_SERVICE,
    DEFAULT_TEMPLATES,
    PARSED_DEFAULTS,
    templates_for_service,
)
from trellis.documentation.note_schema import FieldKind, Scope

SERVICE_TYPES = ["group_psychotherapy", "skills_group", "psychoeducation", "individual_therapy", "family_therapy",
                 "medication_management", "nursing_check_in", "case_management", "intake"]


def test_every_service_type_has_a_default_template():
    for st in SERVICE_TYPES:
        key = DEFAULT_TEMPLATE_FOR_SERVICE[st]
        assert key in PARSED_DEFAULTS
        assert templates_for_service(st)[0]["key"] == key


def test_individual_therapy_offers_dap_soap_birp():
    formats = [t["format"] for t in templates_for_service("individual_therapy")]
    assert formats == ["DAP", "SOAP", "BIRP"]


def test_every_template_cites_its_sources():
    for t in DEFAULT_TEMPLATES:
        assert t["sources"], t["key"]
        assert any("164.501" in s or "441.18" in s or "Nursing" in s for s in t["sources"]), t["key"]


def test_group_templates_have_shared_and_participant_sections():
    for key in ("group_psychotherapy", "skills_group", "psychoeducation"):
        schema = PARSED_DEFAULTS[key]
        shared = schema.sections_for(Scope.SHARED)
        assert shared and schema.has_participant_sections
        shared_keys = {f.key for s in shared for f in s.fields}
        assert {"topic", "interventions", "start_time", "end_time"} <= shared_keys
        part = {f.key: f for s in schema.sections_for(Scope.PARTICIPANT) for f in s.fields}
        assert part["participation"].required
        assert part["mood_affect"].kind == FieldKind.MULTI_CHOICE
        assert part["objectives"].kind == FieldKind.OBJECTIVES
        assert part["risk"].kind == FieldKind.RISK
        assert part["plan"].required


def test_medication_management_has_vitals_and_medication_changes():
    schema = PARSED_DEFAULTS["medication_management"]
    kinds = {f.key: f.kind for s in schema.sections for f in s.fields}
    assert kinds["bp_systolic"] == FieldKind.NUMBER
    assert kinds["medication_changes"] == FieldKind.MEDICATIONS


def test_progress_notes_record_start_and_stop_times():
    # 45 CFR 164.501: session start/stop times are part of the record, not of psychotherapy notes.
    for schema in PARSED_DEFAULTS.values():
        keys = {f.key for s in schema.sections_for("shared") for f in s.fields}
        assert {"start_time", "end_time"} <= keys, schema.key
