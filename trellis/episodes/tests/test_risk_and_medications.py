"""Admission and discharge risk rules (issue 11 item 9): a C-SSRS screen within the program's window before
admission, a fresh one before discharge, the discharge medication reconciliation with changes flagged, and the
aftercare follow-up kept or missed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from trellis.core.clock import today_in
from trellis.core.errors import DomainError
from trellis.episodes import medications
from trellis.episodes import services as lifecycle
from trellis.episodes.models import MedicationEntry
from trellis.referrals.tests.builders import (
    admission_consents,
    admitted_episode,
    determination,
    make_program,
    ready_for_discharge,
    screen,
)

pytestmark = pytest.mark.django_db


def test_admission_requires_a_recent_cssrs_screen(site, make_staff, patient):
    """TJC NPSG.15.01.01 EP 2 (screen with a validated tool); window Program.risk_screen_days (program policy)."""
    therapist = make_staff("therapist")
    program = make_program(site, certification=False, level="iop")
    program.risk_screen_days = 3
    program.save()
    today = today_in(site.zone)
    from trellis.consents import services as consent_services

    admission_consents(patient, site, therapist, kinds=consent_services.required_kinds(program))
    determination(patient, program, therapist)
    screen(patient, site, therapist, on=today - dt.timedelta(days=5))  # too old
    with pytest.raises(DomainError, match=r"C-SSRS .* within 3 days before admission .*NPSG\.15\.01\.01"):
        lifecycle.admit(patient=patient, program=program, admitted_on=today, admitted_by=therapist)
    screen(patient, site, therapist, on=today - dt.timedelta(days=1))
    assert lifecycle.admit(patient=patient, program=program, admitted_on=today, admitted_by=therapist)


def test_discharge_requires_fresh_screen_and_medication_reconciliation(site, make_staff, patient):
    """TJC NPSG.15.01.01 (fresh screen before discharge) and NPSG.03.06.01 (medication reconciliation)."""
    therapist = make_staff("therapist")
    episode = admitted_episode(patient, make_program(site, certification=False, level="iop"), therapist)
    today = today_in(site.zone)
    with pytest.raises(DomainError) as caught:  # the admission screen is not fresh; no discharge list
        lifecycle.discharge(episode=episode, discharged_on=today, discharge_type="completed", reason="Done",
                            discharged_by=therapist)
    assert "fresh C-SSRS" in caught.value.message and "NPSG.03.06.01" in caught.value.message
    ready_for_discharge(episode, therapist)
    rec = lifecycle.discharge(episode=episode, discharged_on=today, discharge_type="completed", reason="Done",
                              discharged_by=therapist)
    assert rec.episode.status == "discharged"


def test_discharge_list_flags_changes_against_admission():
    """TJC NPSG.03.06.01: compare the discharge list with the admission list; new, changed, stopped flagged."""
    admission = [medications.MedRow("Sertraline", "50 mg", "oral", "daily"),
                 medications.MedRow("Trazodone", "50 mg", "oral", "bedtime"),
                 medications.MedRow("Vitamin D", "1000 IU", "oral", "daily")]
    discharge = [medications.MedRow("sertraline", "100 mg", "oral", "daily"),
                 medications.MedRow("Vitamin D", "1000 IU", "oral", "daily"),
                 medications.MedRow("Hydroxyzine", "25 mg", "oral", "as needed")]
    flags = {r.name.lower(): r.change for r in medications.flag_changes(admission, discharge)}
    assert flags == {"sertraline": "changed", "vitamin d": "unchanged", "hydroxyzine": "new", "trazodone": "stopped"}


def test_medication_rows_are_structured_and_refused_when_incomplete(site, make_staff, patient, client_for):
    """TJC NPSG.03.06.01: each row states name, dose, route and frequency; the page refuses an incomplete row."""
    therapist = make_staff("therapist")
    episode = admitted_episode(patient, make_program(site, certification=False, level="iop"), therapist)
    with pytest.raises(DomainError, match=r"row 1: give the route .*NPSG\.03\.06\.01"):
        medications.reconcile_medications(episode=episode, list_kind="admission", reconciled_by=therapist,
                                          rows=[{"name": "Sertraline", "dose": "50 mg", "frequency": "daily"}])
    with pytest.raises(DomainError, match="state that the patient takes none"):
        medications.reconcile_medications(episode=episode, list_kind="admission", reconciled_by=therapist, rows=[])
    c = client_for(therapist)
    url = reverse("episodes:medications", kwargs={"episode_id": episode.public_id})
    assert c.get(url).status_code == 200
    ok = c.post(url, {"kind": "admission", "admission-list_kind": "admission", "admission-name_0": "Sertraline",
                      "admission-dose_0": "50 mg", "admission-route_0": "oral", "admission-frequency_0": "daily"})
    assert ok.status_code == 302
    row = MedicationEntry.objects.get(episode=episode)
    assert (row.name, row.route, row.reconciled_by) == ("Sertraline", "oral", therapist)
    assert client_for(make_staff("front_desk")).post(url, {"kind": "admission"}).status_code == 403


def test_aftercare_follow_up_kept_or_missed(site, make_staff, patient, time_machine):
    """Program policy (follow-up within 7 days of discharge; labelled as not HEDIS FUH)."""
    therapist = make_staff("therapist")
    episode = admitted_episode(patient, make_program(site, certification=False, level="iop"), therapist)
    today = today_in(site.zone)
    ready_for_discharge(episode, therapist)
    rec = lifecycle.discharge(episode=episode, discharged_on=today, discharge_type="completed", reason="Done",
                              discharged_by=therapist, aftercare_provider="Dr. Lee",
                              aftercare_on=today + dt.timedelta(days=5))
    with pytest.raises(DomainError, match="not happened yet"):
        medications.record_aftercare_outcome(record_=rec, kept=True, recorded_by=therapist)
    time_machine.move_to(dt.datetime.combine(today + dt.timedelta(days=6), dt.time(12), tzinfo=site.zone))
    rec = medications.record_aftercare_outcome(record_=rec, kept=False, recorded_by=therapist)
    assert rec.aftercare_kept is False
    assert "not HEDIS FUH" in medications.AFTERCARE_SOURCE
