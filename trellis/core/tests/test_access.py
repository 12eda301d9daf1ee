"""The access primitive itself: another site's object does not exist (404) and the attempt is audited; an
inactive user sees nothing wherever the user object comes from."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.test import RequestFactory

from trellis.accounts.models import User
from trellis.accounts.policies import has_capability
from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.access import get_scoped_or_404, site_ids_for
from trellis.core.testing.factories import PatientFactory
from trellis.patients.models import Patient

pytestmark = pytest.mark.django_db


def _request(user):
    request = RequestFactory().get("/x/")
    request.user = user
    return request


def test_object_of_another_site_is_404_and_the_denial_is_audited(make_staff, site, other_site):
    mine = PatientFactory(primary_site=site)
    theirs = PatientFactory(primary_site=other_site)
    user = make_staff("therapist", at=site)
    assert get_scoped_or_404(_request(user), Patient, mine.public_id, capability="patient.view") == mine
    assert not AuditEvent.objects.filter(action=AuditAction.DENIED).exists()
    with pytest.raises(Http404):
        get_scoped_or_404(_request(user), Patient, theirs.public_id, capability="patient.view")
    denial = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert (denial.patient_id, denial.outcome, denial.detail["capability"]) == (theirs.pk, "denied", "patient.view")


def test_unknown_or_malformed_id_is_404_without_a_denial(make_staff, site):
    user = make_staff("therapist", at=site)
    for value in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(Http404):
            get_scoped_or_404(_request(user), Patient, value, capability="patient.view")
    assert not AuditEvent.objects.filter(action=AuditAction.DENIED).exists()


def test_a_capability_held_elsewhere_is_not_enough(make_staff, site, other_site):
    patient = PatientFactory(primary_site=site)
    user = make_staff("biller", at=site)  # billers hold no note.write anywhere
    with pytest.raises(Http404):
        get_scoped_or_404(_request(user), Patient, patient.public_id, capability="note.write")


def test_inactive_user_has_no_capability_wherever_the_user_comes_from(make_staff, site):
    user = make_staff("program_director", at=site)
    patient = PatientFactory(primary_site=site)
    assert has_capability(user, "patient.view") and site_ids_for(user, "patient.view")  # capabilities cached
    user.is_active = False  # the same object, its capabilities already cached for this request
    assert not has_capability(user, "patient.view")
    assert site_ids_for(user, "patient.view") == []
    assert not Patient.objects.restrict(user, "patient.view").exists()
    user.save(update_fields=["is_active"])
    fresh = User.objects.get(pk=user.pk)  # loaded again, as the session middleware would
    assert not has_capability(fresh, "patient.view", site)
    with pytest.raises(Http404):
        get_scoped_or_404(_request(fresh), Patient, patient.public_id, capability="patient.view")
