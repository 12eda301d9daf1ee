"""Every episode-of-care page answers garbage input with a message, never a 500 (and saves nothing odd)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver, reverse

from trellis.careplans.models import TreatmentPlan
from trellis.consents import services as consent_services
from trellis.episodes import services as lifecycle
from trellis.episodes.models import Diagnosis, HandoffTask
from trellis.programs.models import Room, Track
from trellis.referrals import services as referral_services
from trellis.referrals.models import IntakeAssessment, LevelOfCareDetermination, SuicideRiskScreen
from trellis.referrals.tests.builders import (
    NO_RISK,
    admitted_episode,
    make_program,
    ready_for_discharge,
    simple_plan,
)

pytestmark = pytest.mark.django_db

NAMESPACES = ("referrals", "consents", "careplans", "episodes", "programs")
GARBAGE = {
    key: value
    for key in (
        "status", "loss_reason", "version", "note", "first_name", "last_name", "date_of_birth", "source", "contact",
        "program", "track", "owner", "next_step_due", "intake_at", "sex_at_birth", "link_patient", "code", "rank",
        "diagnosed_on", "onset_on", "assessed_on", "presenting_problem", "q1", "q2", "q3", "q6", "q6_recent",
        "recommended_level", "authorized_level", "rationale", "reason", "admitted_on", "primary_clinician",
        "discharged_on", "discharge_type", "primary_diagnosis", "secondary_diagnoses", "aftercare_on",
        "to_program", "to_track", "receiving_clinician", "field", "to_level", "changed_on", "kind",
        "recipient_source", "recipient_name", "expires_on", "signer_name", "signer_relationship",
        "signature_drawing", "read_confirm", "occurred_on", "statement", "target_date", "modality", "frequency",
        "parent", "patient_signer_name", "row_version", "reviewed_on", "summary", "template", "consents",
        "cert_first_recert_day", "cert_recert_interval_days", "asam_d1", "label", "applies_to", "order", "site",
        "intake", "complete", "save", "warning_signs",
    )
    for value in ["\x00<script>'\"--{{x}}" if key in ("note", "summary", "reason") else "not-a-valid-value-§"]
}


def _patterns() -> list[tuple[str, URLPattern]]:
    out = []
    for ns in NAMESPACES:
        resolver = next(r for r in get_resolver().url_patterns if getattr(r, "namespace", None) == ns)
        out += [(f"{ns}:{p.name}", p) for p in resolver.url_patterns if isinstance(p, URLPattern) and p.name]
    return out


@pytest.fixture
def world(site, make_staff, patient):
    director = make_staff("program_director")
    program = make_program(site)
    episode = admitted_episode(patient, program, director)
    plan = simple_plan(episode, director)
    source = referral_services.create_referral_source(organization=site.organization, created_by=director,
                                                      name="Src")
    referral = referral_services.create_referral(site=site, created_by=director, first_name="A", last_name="B",
                                                 source=source)
    intake = referral_services.start_intake(patient=patient, site=site, clinician=director)
    lifecycle.add_diagnosis(patient=patient, intake=intake, code="F33.1", rank="primary",
                            diagnosed_on=episode.admitted_on, diagnosed_by=director)
    screen = referral_services.record_risk_screen(patient=patient, site=site, administered_by=director,
                                                  answers=NO_RISK)
    consent = consent_services.create_consent(patient=patient, site=site, kind="treatment", created_by=director)
    iop = make_program(site, level="iop", name="IOP")
    ready_for_discharge(episode, director)
    _rec, new_episode, task = lifecycle.step_down(episode=episode, to_program=iop, discharged_on=episode.admitted_on,
                                                  reason="x", discharged_by=director, receiving_clinician=director)
    return {
        "patient_id": patient.public_id, "episode_id": new_episode.public_id, "plan_id": plan.public_id,
        "referral_id": referral.public_id, "intake_id": intake.public_id, "screen_id": screen.public_id,
        "determination_id": LevelOfCareDetermination.objects.first().public_id, "source_id": source.public_id,
        "consent_id": consent.public_id, "program_id": program.public_id,
        "track_id": Track.objects.create(program=program, name="Garbage track").public_id,
        "room_id": Room.objects.create(site=site, name="Garbage room", capacity=4).public_id,
        "task_id": HandoffTask.objects.get(pk=task.pk).public_id,
        "record_id": _rec.public_id,
        "diagnosis_id": Diagnosis.objects.filter(intake=intake).first().public_id, "kind": "goal",
        "director": director,
    }


def test_no_500_on_garbage(world, client_for):
    c = client_for(world["director"])
    plans_before = TreatmentPlan.objects.count()
    screens_before = SuicideRiskScreen.objects.count()
    failures = []
    for name, pattern in _patterns():
        kwargs = {k: world[k] for k in pattern.pattern.converters}
        url = reverse(name, kwargs=kwargs)
        for method in ("get", "post"):
            response = getattr(c, method)(url, GARBAGE)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {name} -> {response.status_code}")
        htmx = c.post(url, GARBAGE, HTTP_HX_REQUEST="true")
        if htmx.status_code >= 500:
            failures.append(f"htmx POST {name} -> {htmx.status_code}")
    assert failures == []
    # garbage never produced a clinical record (plan_create / intake_start need no input, so they may)
    assert TreatmentPlan.objects.count() <= plans_before + 1
    assert IntakeAssessment.objects.count() <= 3  # intake_start POSTed twice (plain + htmx)
    assert SuicideRiskScreen.objects.count() == screens_before
