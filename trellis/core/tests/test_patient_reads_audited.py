"""Every page that shows a patient's data writes an audit event naming that patient (HIPAA §164.312(b))."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.tests.test_no_500 import everything_user  # noqa: F401 - fixture
from trellis.core.tests.test_url_walk import PATIENT_VIEWS, _kwargs_for

pytestmark = pytest.mark.django_db

READ_LIKE = {AuditAction.READ, AuditAction.PRINT, AuditAction.EXPORT, AuditAction.DISCLOSE}


@pytest.mark.parametrize("name,pattern", PATIENT_VIEWS, ids=[n for n, _ in PATIENT_VIEWS])
def test_patient_page_read_is_audited(client_for, everything_user, patient, name, pattern):  # noqa: F811
    c = client_for(everything_user)
    url = reverse(name, kwargs=_kwargs_for(pattern, patient.public_id))
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = c.get(url)
    if response.status_code != 200:
        pytest.skip(f"GET answers {response.status_code} (a form-only or POST endpoint)")
    events = AuditEvent.objects.filter(id__gt=last, actor=everything_user, patient=patient)
    assert events.filter(action__in=READ_LIKE).exists(), f"{name}: no read event for the patient"
