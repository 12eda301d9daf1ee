import pytest
from django.urls import reverse

from trellis.core.testing.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_home_lists_recently_opened_charts_in_scope(client_for, make_staff, patient, other_site):
    user = make_staff("therapist")
    c = client_for(user)
    c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}))
    response = c.get(reverse("web:home"))
    assert response.status_code == 200
    assert response.context["recent_patients"] == [patient]


def test_healthz(client):
    assert client.get(reverse("web:healthz")).json() == {"status": "ok"}


def test_unknown_url_is_a_friendly_404(client_for, make_staff):
    response = client_for(make_staff("therapist")).get("/no/such/page/")
    assert response.status_code == 404


def test_out_of_scope_patients_not_in_recent(client_for, make_staff, site, other_site):
    user = make_staff("therapist")
    elsewhere = PatientFactory(primary_site=other_site)
    from trellis.audit.services import AuditAction, record

    record(action=AuditAction.READ, obj=elsewhere, actor=user)
    assert client_for(user).get(reverse("web:home")).context["recent_patients"] == []


def test_today_dashboard_counts_come_from_the_worklists(client_for, make_staff):
    user = make_staff("therapist")
    response = client_for(user).get(reverse("web:home"))
    today = response.context["today"]
    labels = {c.label: c.value for c in today.counters}
    assert labels == {
        "sessions need a signed note": 0,
        "notes waiting for your co-signature": 0,
        "plans, reviews or certifications overdue": 0,
        "due in the next days": 0,
        "of your referrals have a next step due": 0,
        "critical outcome answers to acknowledge": 0,
        "outcome measures due": 0,
        "compliance alerts for me": 0,  # hours and authorization alerts routed to the primary clinician
    }
    assert [s["key"] for s in today.sections] == ["sessions"] and today.sections[0]["sessions"] == []
    assert b"No sessions on your calendar today" in response.content


def test_front_desk_sees_no_clinical_worklists(client_for, make_staff):
    today = client_for(make_staff("front_desk")).get(reverse("web:home")).context["today"]
    labels = {c.label for c in today.counters}
    # Outcome measures due: who needs a link or the clinic tablet, without answers or scores.
    assert labels == {"of your referrals have a next step due", "outcome measures due"}


def test_chart_tabs_of_other_apps_keep_patients_current(client_for, make_staff, patient):
    c = client_for(make_staff("therapist"))
    response = c.get(reverse("attendance:patient_hours", kwargs={"patient_id": patient.public_id}))
    current = [i["key"] for i in response.context["shell"]["nav_items"] if i["active"]]
    assert current == ["patients"]


@pytest.mark.parametrize("n", [3, 30])
def test_today_query_count_does_not_grow(client_for, make_staff, site, n, django_assert_max_num_queries):
    from trellis.audit.services import AuditAction, record

    user = make_staff("therapist")
    for _ in range(n):
        record(action=AuditAction.READ, obj=PatientFactory(primary_site=site), actor=user)
    c = client_for(user)
    c.get(reverse("web:home"))
    with django_assert_max_num_queries(22):
        assert c.get(reverse("web:home")).status_code == 200
