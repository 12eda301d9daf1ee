from __future__ import annotations

import datetime as dt

import pytest
from stdnum import luhn

from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.errors import ConflictError, DomainError
from trellis.patients import services
from trellis.patients.models import Patient, PatientSite

pytestmark = pytest.mark.django_db


def _data(site, **over):
    data = {
        "legal_first_name": "Jordan", "legal_last_name": "Lee", "date_of_birth": dt.date(1990, 4, 12),
        "sex_at_birth": "M", "primary_site": site,
    }
    data.update(over)
    return data


def test_create_assigns_mrn_with_check_digit_and_links_site(org, site, make_staff):
    user = make_staff("front_desk")
    first = services.create_patient(organization=org, created_by=user, **_data(site))
    second = services.create_patient(organization=org, created_by=user, **_data(site, legal_first_name="Sam"))
    assert first.mrn != second.mrn
    assert luhn.is_valid(first.mrn) and luhn.is_valid(second.mrn)
    assert int(second.mrn[:-1]) == int(first.mrn[:-1]) + 1
    assert PatientSite.objects.filter(patient=first, site=site).exists()
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, patient=first).count() == 1


def test_duplicate_name_and_dob_warns_then_allows_when_confirmed(org, site):
    services.create_patient(organization=org, created_by=None, **_data(site))
    with pytest.raises(services.DuplicatePatientWarning) as warning:
        services.create_patient(organization=org, created_by=None, **_data(site, legal_first_name=" jordan "))
    assert len(warning.value.matches) == 1
    assert Patient.objects.count() == 1
    services.create_patient(organization=org, created_by=None, confirm_not_duplicate=True, **_data(site))
    assert Patient.objects.count() == 2


def test_future_dob_is_refused_and_nothing_saved(org, site):
    with pytest.raises(DomainError) as error:
        services.create_patient(
            organization=org, created_by=None, **_data(site, date_of_birth=dt.date.today() + dt.timedelta(days=2))
        )
    assert error.value.field == "date_of_birth"
    assert Patient.objects.count() == 0
    org.refresh_from_db()
    assert org.mrn_counter == 0  # the MRN counter rolled back with the refused registration


def test_update_detects_concurrent_edit(org, site):
    p = services.create_patient(organization=org, created_by=None, **_data(site))
    services.update_patient(patient=p, expected_version=1, changed_by=None, phone="(518) 555-0100")
    with pytest.raises(ConflictError):
        services.update_patient(patient=p, expected_version=1, changed_by=None, phone="(518) 555-0199")
    p.refresh_from_db()
    assert p.phone == "(518) 555-0100" and p.version == 2


def test_duplicate_mrn_is_refused_by_constraint(org, site):
    from django.db import IntegrityError, transaction

    a = services.create_patient(organization=org, created_by=None, **_data(site))
    b = services.create_patient(organization=org, created_by=None, **_data(site, legal_first_name="Ann"))
    b.mrn = a.mrn
    with pytest.raises(IntegrityError), transaction.atomic():
        b.save()
