from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.audit.models import AuditAction, AuditEvent
from trellis.audit.services import record

pytestmark = pytest.mark.django_db


def test_admin_filters_by_patient_and_exports_csv(client_for, make_staff, patient, site):
    admin = make_staff("org_admin")
    therapist = make_staff("therapist")
    record(action=AuditAction.READ, obj=patient, actor=therapist)
    c = client_for(admin)
    page = c.get(reverse("audit:report"), {"patient": str(patient.public_id), "actor": str(therapist.public_id)})
    assert page.status_code == 200
    body = page.content.decode()
    assert therapist.email in body and patient.mrn in body
    export = c.get(reverse("audit:report"), {"patient": str(patient.public_id), "format": "csv"})
    rows = b"".join(export.streaming_content).decode().splitlines()
    assert rows[0].startswith("event,time (UTC),user")
    assert any(patient.mrn in row for row in rows[1:])
    assert AuditEvent.objects.filter(actor=admin, action=AuditAction.EXPORT).exists()


def test_bad_date_range_is_a_message_not_a_500(client_for, make_staff):
    c = client_for(make_staff("org_admin"))
    response = c.get(reverse("audit:report"), {"start": "2026-05-01", "end": "2026-04-01"})
    assert response.status_code == 200
    assert b"end date is before the start date" in response.content
    assert c.get(reverse("audit:report"), {"start": "not-a-date"}).status_code == 200


def test_therapist_cannot_open_audit_report(client_for, make_staff):
    assert client_for(make_staff("therapist")).get(reverse("audit:report")).status_code == 403


def test_times_are_shown_in_the_sites_zone(client_for, make_staff, patient):
    import datetime as dt

    import time_machine

    admin = make_staff("org_admin")  # the site is America/New_York
    with time_machine.travel(dt.datetime(2026, 1, 15, 17, 30, tzinfo=dt.UTC), tick=False):
        record(action=AuditAction.READ, obj=patient, actor=admin)
    body = client_for(admin).get(reverse("audit:report")).content.decode()
    assert "Jan 15, 2026 12:30 EST" in body
