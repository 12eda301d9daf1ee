"""FHIR R4 shapes for a completed administration: a QuestionnaireResponse and one Observation per scored scale.
Pure: plain data in, JSON-ready dicts out (validated with the `fhir.resources` package in tests).

- QuestionnaireResponse (http://hl7.org/fhir/R4/questionnaireresponse.html): status "completed", items with
  linkId = item key and valueCoding (system = the Trellis instrument's answer system, code = option value,
  display = option label); `questionnaire` is a canonical URL for the instrument key and version.
- Observation (http://hl7.org/fhir/R4/observation.html): category "survey"; code LOINC where the scale has one
  (PHQ-9 total 44261-6, GAD-7 total 70274-6, AUDIT total 75624-7, PCL-5 score 101698-9), otherwise a Trellis
  code; valueQuantity with UCUM unit "{score}"; derivedFrom the QuestionnaireResponse; interpretation text =
  severity band. Follows the shape of the US Core "Observation Screening Assessment" profile (to confirm
  against the profile's must-support list before claiming conformance).
Subject and encounter references use opaque ids only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from trellis.outcomes.scoring import Definition

LOINC = "http://loinc.org"
TRELLIS_INSTRUMENTS = "https://trellis.example/fhir/Questionnaire"
TRELLIS_CODES = "https://trellis.example/fhir/CodeSystem/outcome-scales"


def questionnaire_response(
    *, defn: Definition, answers: dict[str, int], response_id: str, patient_id: str, episode_id: str,
    authored: datetime, source_is_patient: bool,
) -> dict[str, Any]:
    items = []
    for item in defn.items:
        if item.key not in answers:
            continue
        value = answers[item.key]
        entry: dict[str, Any] = {
            "linkId": item.key,
            "text": item.text,
            "answer": [{"valueCoding": {"system": f"{TRELLIS_INSTRUMENTS}/{defn.key}/answers", "code": str(value),
                                        "display": item.label_for(value)}}],
        }
        if item.loinc:
            entry["definition"] = f"{LOINC}#{item.loinc}"
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": f"{TRELLIS_INSTRUMENTS}/{defn.key}|{defn.version}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "authored": authored.isoformat(),
        "item": items,
        # R4 QuestionnaireResponse.identifier is 0..1; the episode of care is carried as a plain identifier
        # because Trellis does not (yet) export EpisodeOfCare resources.
        "identifier": {"system": "urn:trellis:episode", "value": episode_id},
    }
    if source_is_patient:
        resource["source"] = {"reference": f"Patient/{patient_id}"}
    return resource


def observations(
    *, defn: Definition, scores: dict[str, Any], response_id: str, patient_id: str, effective: datetime,
) -> list[dict[str, Any]]:
    out = []
    for scale in defn.scales:
        s = (scores.get("scales") or {}).get(scale.key) or {}
        if s.get("value") is None:
            continue
        if scale.loinc:
            coding = {"system": LOINC, "code": scale.loinc, "display": f"{defn.short_name} {scale.label}"}
        else:
            coding = {"system": TRELLIS_CODES, "code": f"{defn.key}.{scale.key}",
                      "display": f"{defn.short_name} {scale.label}"}
        obs: dict[str, Any] = {
            "resourceType": "Observation",
            "id": f"{response_id}-{scale.key}".replace("_", "-")[:64],
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "survey", "display": "Survey"}]}],
            "code": {"coding": [coding], "text": f"{defn.short_name} {scale.label}"},
            "subject": {"reference": f"Patient/{patient_id}"},
            "effectiveDateTime": effective.isoformat(),
            "valueQuantity": {"value": s["value"], "unit": "{score}", "system": "http://unitsofmeasure.org",
                              "code": "{score}"},
            "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
        }
        if s.get("band"):
            obs["interpretation"] = [{"text": s["band"]}]
        out.append(obs)
    return out


def bundle(*, qr: dict[str, Any], obs: list[dict[str, Any]], bundle_id: str) -> dict[str, Any]:
    entries = [{"resource": r} for r in [qr, *obs]]
    return {"resourceType": "Bundle", "id": bundle_id, "type": "collection", "entry": entries}
