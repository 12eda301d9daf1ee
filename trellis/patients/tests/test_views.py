from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.testing.factories import PatientFactory
from trellis.patients.models import Patient

pytestmark = pytest.mark.django_db

VALID = {
    "legal_first_name": "Morgan", "legal_last_name": "Quinn", "date_of_birth": "1988-02-29", "sex_at_birth": "F",
    "phone": "518 555 0123", "email": "mq@mail.example", "state": "NY", "postal_code": "12203",
    "preferred_language": "English",
}


def _events(user):
    return list(AuditEvent.objects.filter(actor=user).order_by("id").values_list("action", "object_type", "patient_id"))


def test_chart_writes_exactly_one_read_event(client_for, make_staff, patient):
    user = make_staff("therapist")
    c = client_for(user)
    before = AuditEvent.objects.count()
    assert c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id})).status_code == 200
    assert AuditEvent.objects.count() == before + 1
    assert _events(user)[-1] == (AuditAction.READ, "patient", patient.pk)


def test_search_writes_one_event_without_phi(client_for, make_staff, patient):
    user = make_staff("therapist")
    c = client_for(user)
    c.post(reverse("patients:search"), {"q": "Rivera"})
    event = AuditEvent.objects.filter(actor=user).latest("id")
    assert (event.action, event.object_type, event.detail) == (
        AuditAction.READ, "patient_list", {"view": "patient_search", "patients": [str(patient.public_id)]}
    )
    assert "Rivera" not in str(event.detail) and "Rivera" not in event.request_path


def test_edit_page_read_and_save_update_events(client_for, make_staff, patient, site):
    user = make_staff("front_desk")
    c = client_for(user)
    url = reverse("patients:edit", kwargs={"patient_id": patient.public_id})
    c.get(url)
    assert _events(user)[-1] == (AuditAction.READ, "patient", patient.pk)
    data = {**VALID, "legal_first_name": "Alex", "legal_last_name": "Rivera",
            "date_of_birth": patient.date_of_birth.isoformat(), "primary_site": site.pk, "version": 1}
    response = c.post(url, data)
    assert response.status_code == 302
    assert _events(user)[-1] == (AuditAction.UPDATE, "patient", patient.pk)
    patient.refresh_from_db()
    assert patient.phone == "(518) 555-0123"


def test_register_then_duplicate_warning(client_for, make_staff, site):
    user = make_staff("front_desk")
    c = client_for(user)
    data = {**VALID, "primary_site": site.pk}
    first = c.post(reverse("patients:create"), data)
    assert first.status_code == 302
    again = c.post(reverse("patients:create"), data)
    assert again.status_code == 200
    assert b"Possible duplicate" in again.content
    assert Patient.objects.count() == 1
    confirmed = c.post(reverse("patients:create"), {**data, "confirm_not_duplicate": "on"})
    assert confirmed.status_code == 302 and Patient.objects.count() == 2


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("date_of_birth", (dt.date.today() + dt.timedelta(days=1)).isoformat(), "in the future"),
        ("date_of_birth", "2023-02-30", "Enter a valid date"),
        ("email", "not-an-email", "valid email"),
        ("phone", "555-12", "10-digit phone"),
        ("postal_code", "1220", "5-digit ZIP"),
        ("state", "ZZ", "two-letter state"),
        ("legal_last_name", "", "required"),
    ],
)
def test_bad_input_is_refused_with_field_message(client_for, make_staff, site, field, value, message):
    c = client_for(make_staff("front_desk"))
    response = c.post(reverse("patients:create"), {**VALID, "primary_site": site.pk, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Patient.objects.count() == 0


def test_cannot_register_at_a_site_outside_scope(client_for, make_staff, other_site):
    c = client_for(make_staff("front_desk"))
    response = c.post(reverse("patients:create"), {**VALID, "primary_site": other_site.pk})
    assert response.status_code == 200 and Patient.objects.count() == 0


def test_search_only_returns_own_sites(client_for, make_staff, site, other_site):
    PatientFactory(primary_site=site, legal_last_name="Harper")
    PatientFactory(primary_site=other_site, legal_last_name="Harper")
    c = client_for(make_staff("therapist"))
    response = c.post(reverse("patients:search"), {"q": "harper"})
    assert len(response.context["results"]) == 1


@pytest.mark.parametrize("query", ["rivera", "alex rivera", "rivera, al"])
def test_search_by_name_forms(client_for, make_staff, patient, query):
    c = client_for(make_staff("therapist"))
    assert [p.pk for p in c.post(reverse("patients:search"), {"q": query}).context["results"]] == [patient.pk]


def test_search_by_mrn_and_dob(client_for, make_staff, patient):
    c = client_for(make_staff("therapist"))
    assert c.post(reverse("patients:search"), {"q": patient.mrn}).context["results"] == [patient]
    dob = patient.date_of_birth
    for q in (dob.isoformat(), dob.strftime("%m/%d/%Y")):
        assert patient in c.post(reverse("patients:search"), {"q": q}).context["results"]


def _populate(site, n):
    for i in range(n):
        p = PatientFactory(primary_site=site, legal_last_name="Harper" if i % 2 else "Smith")
        p.flags.create(kind="allergy", label="Allergy")


@pytest.mark.parametrize("n", [10, 200])
def test_search_and_chart_query_counts_do_not_grow(client_for, make_staff, site, patient, n,
                                                    django_assert_max_num_queries):
    _populate(site, n)
    c = client_for(make_staff("therapist"))
    c.get(reverse("patients:search"))  # warm session
    # Bound: session, user, otp device, memberships, audit chain (3), patients + flags prefetch, plus idle-session save.
    with django_assert_max_num_queries(16) as search_ctx:
        response = c.post(reverse("patients:search"), {"q": "harper"})
    assert len(response.context["results"]) == min(50, n // 2)
    with django_assert_max_num_queries(18) as chart_ctx:
        c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}))
    # Record the counts so both data sizes can be compared: they must be equal.
    _COUNTS.setdefault("search", set()).add(len(search_ctx.captured_queries))
    _COUNTS.setdefault("chart", set()).add(len(chart_ctx.captured_queries))


_COUNTS: dict[str, set[int]] = {}


def test_query_counts_equal_at_both_sizes():
    if len(_COUNTS.get("search", ())) == 0:
        pytest.skip("size tests did not run in this worker")
    assert len(_COUNTS["search"]) == 1, _COUNTS
    assert len(_COUNTS["chart"]) == 1, _COUNTS


def test_face_sheet_is_audited_as_print(client_for, make_staff, patient):
    user = make_staff("front_desk")
    response = client_for(user).get(reverse("patients:face_sheet", kwargs={"patient_id": patient.public_id}))
    assert response.status_code == 200 and patient.mrn in response.content.decode()
    assert _events(user)[-1] == (AuditAction.PRINT, "patient", patient.pk)


def test_search_query_is_not_taken_from_the_url(client_for, make_staff, patient):
    """Names must not travel in URLs (DESIGN.md §4): a GET with ?q= shows the empty search page."""
    c = client_for(make_staff("therapist"))
    response = c.get(reverse("patients:search"), {"q": "rivera"})
    assert response.status_code == 200 and response.context["results"] == []


def test_flags_add_validate_and_clear(client_for, make_staff, patient):
    user = make_staff("nurse")
    c = client_for(user)
    url = reverse("patients:flags", kwargs={"patient_id": patient.public_id})
    bad = c.post(url, {"kind": "part2", "label": "x"})
    assert bad.status_code == 422 and not patient.flags.exists()
    assert c.post(url, {"kind": "allergy", "label": "Penicillin allergy"}).status_code == 302
    flag = patient.flags.get()
    chart = c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}))
    assert "Penicillin allergy" in chart.content.decode()
    c.post(url, {"clear": str(flag.public_id)})
    flag.refresh_from_db()
    assert flag.active is False  # cleared, not deleted
    assert [e[0] for e in _events(user)[-3:]] == [AuditAction.CREATE, AuditAction.READ, AuditAction.UPDATE]


def test_part2_flag_cannot_be_cleared_by_hand(client_for, make_staff, patient):
    flag = patient.flags.create(kind="part2", label="42 CFR Part 2 records")
    c = client_for(make_staff("nurse"))
    c.post(reverse("patients:flags", kwargs={"patient_id": patient.public_id}), {"clear": str(flag.public_id)})
    flag.refresh_from_db()
    assert flag.active
