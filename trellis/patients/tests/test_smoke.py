import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_chart_and_search_render_for_staff(client_for, make_staff, patient):
    user = make_staff("therapist")
    c = client_for(user)
    chart = c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}))
    assert chart.status_code == 200
    assert "Rivera" in chart.content.decode()
    found = c.get(reverse("patients:search"), {"q": "rivera"})
    assert found.status_code == 200
    assert patient.mrn in found.content.decode()
