"""Suicide-risk rules on notes (issue 11 item 9): forced "high", safety plan required, primary clinician told."""

from __future__ import annotations

import pytest

from trellis.core.errors import DomainError
from trellis.documentation import risk_rules, services
from trellis.documentation.models import RiskNotice
from trellis.documentation.note_schema import RISK_ITEMS
from trellis.documentation.tests.conftest import SHARED_OK, participant_ok
from trellis.patients.models import PatientFlag
from trellis.referrals import services as referral_services

pytestmark = pytest.mark.django_db

HIGH_SI = {"suicidal_ideation": "active_plan", "homicidal_ideation": "denied", "self_harm": "denied",
           "risk_level": "moderate", "actions": "Safety plan reviewed; prescriber told."}


def test_ideation_with_plan_or_recent_behaviour_forces_high():
    """C-SSRS screen triage (Posner et al. 2011; Columbia Lighthouse Project): a yes to Q4/Q5 (intent, plan with
    intent) or recent suicidal behaviour is high risk, whatever rating the writer chose."""
    assert risk_rules.force_levels({"p": {"risk": HIGH_SI}})["p"]["risk"]["risk_level"] == "high"
    recent = HIGH_SI | {"suicidal_ideation": "passive", "self_harm": "recent", "risk_level": "low"}
    assert risk_rules.force_levels(recent)["risk_level"] == "high"
    calm = HIGH_SI | {"suicidal_ideation": "active_no_plan"}
    assert risk_rules.force_levels(calm)["risk_level"] == "moderate"
    assert {"active_plan"} <= {c for c, _ in RISK_ITEMS["suicidal_ideation"][1]}


def _content(block):
    content = participant_ok()
    content["participant"]["risk"] = block
    return content


def test_high_rating_needs_a_safety_plan_and_notifies_the_primary_clinician(make_group, facilitator, make_staff):
    """C-SSRS triage and TJC NPSG.15.01.01: a high rating needs a completed safety plan before the note is signed;
    signing flags the chart and tells the primary clinician (Today counter)."""
    g = make_group(attended=1)
    episode = g.attended[0].episode
    clinician = make_staff("therapist")
    episode.primary_clinician = clinician
    episode.save()
    note = services.start_note(session=g.session, user=facilitator)
    section = note.participants.get()
    note = services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                               participants={str(section.public_id): _content(HIGH_SI)})
    section.refresh_from_db()
    assert section.content["participant"]["risk"]["risk_level"] == "high"  # forced from "moderate"
    with pytest.raises(DomainError, match="safety plan") as caught:
        services.sign_note(note=note, user=facilitator)
    assert "C-SSRS" in str(caught.value.message)
    screen = referral_services.record_risk_screen(
        patient=episode.patient, site=g.session.site, administered_by=facilitator,
        answers={"q1": True, "q2": True, "q3": True, "q4": True, "q5": True, "q6": False})
    referral_services.save_safety_plan(screen=screen, changed_by=facilitator, complete=True, **{
        k: "x" for k in ("warning_signs", "coping_strategies", "social_contacts", "help_contacts",
                         "professional_contacts", "means_safety")})
    services.sign_note(note=note, user=facilitator)
    assert RiskNotice.objects.filter(recipient=clinician, episode=episode).count() == 1
    assert PatientFlag.objects.filter(patient=episode.patient, kind="suicide_risk", active=True).exists()
