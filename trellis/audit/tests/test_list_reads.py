"""Pages that list patients' names write one audit event naming every patient shown (not one per row)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.audit.services import AuditAction, record
from trellis.core.testing.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _list_reads(view: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_type="patient_list", detail__view=view))


def test_today_recent_charts_is_one_event_naming_the_patients(client_for, make_staff, site):
    user = make_staff("therapist")
    patients = [PatientFactory(primary_site=site) for _ in range(3)]
    for p in patients:
        record(action=AuditAction.READ, obj=p, actor=user)
    client_for(user).get(reverse("web:home"))
    (event,) = _list_reads("today_recent_charts")
    assert sorted(event.detail["patients"]) == sorted(str(p.public_id) for p in patients)
    assert event.actor == user and event.action == AuditAction.READ


def test_no_event_when_no_names_are_shown(client_for, make_staff):
    client_for(make_staff("therapist")).get(reverse("web:home"))
    assert _list_reads("today_recent_charts") == []


def test_patient_search_results_are_audited_as_one_list_read(client_for, make_staff, site):
    user = make_staff("therapist")
    found = PatientFactory(primary_site=site, legal_last_name="Quillfeather")
    client_for(user).post(reverse("patients:search"), {"q": "Quillfeather"})
    (event,) = _list_reads("patient_search")
    assert event.detail["patients"] == [str(found.public_id)]
    assert "Quillfeather" not in str(event.detail)  # the search terms are never stored


def test_appointment_form_lists_patients_and_audits_them(client_for, make_staff, site, enroll, track):
    episodes = enroll(track, 2)
    client_for(make_staff("program_director")).get(reverse("scheduling:appointment_create"))
    (event,) = _list_reads("appointment_form")
    assert sorted(event.detail["patients"]) == sorted(str(e.patient.public_id) for e in episodes)
