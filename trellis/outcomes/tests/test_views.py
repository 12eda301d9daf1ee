"""Every outcomes view: allowed and denied (anonymous, wrong role, other site), bad input, patient pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.outcomes import services
from trellis.outcomes.models import Administration, AdministrationStatus, CriticalAlert
from trellis.outcomes.tests.conftest import phq9
from trellis.outcomes.views import SESSION_KIOSK, SESSION_LINK

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_staff(make_staff, other_site):
    return make_staff("therapist", at=other_site)


@pytest.fixture
def done(complete_phq9):
    return complete_phq9([2, 2, 2, 2, 1, 1, 1, 1, 0])


def urls(episode, admin, alert=None):
    patient = episode.patient
    out = {
        "chart": reverse("outcomes:chart", args=[patient.public_id]),
        "admin": reverse("outcomes:administration", args=[admin.public_id]),
        "fhir": reverse("outcomes:fhir", args=[admin.public_id]),
        "enter": reverse("outcomes:enter", args=[episode.public_id]) + "?instrument=phq9",
    }
    return out


# ---------------------------------------------------------------- clinical pages
@pytest.mark.parametrize("name", ["chart", "admin", "fhir", "enter"])
def test_clinical_pages_allowed_for_therapist(name, client_for, therapist, episode, done):
    r = client_for(therapist).get(urls(episode, done)[name])
    assert r.status_code == 200


@pytest.mark.parametrize("name", ["chart", "admin", "fhir", "enter"])
def test_clinical_pages_anonymous_redirected(name, client, episode, done):
    r = client.get(urls(episode, done)[name])
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.parametrize("role", ["front_desk", "biller", "peer_specialist"])
@pytest.mark.parametrize("name", ["chart", "admin", "fhir", "enter"])
def test_clinical_pages_forbidden_for_non_clinical_roles(role, name, client_for, make_staff, episode, done):
    r = client_for(make_staff(role)).get(urls(episode, done)[name])
    assert r.status_code == 403


@pytest.mark.parametrize("name", ["chart", "admin", "fhir", "enter"])
def test_clinical_pages_404_at_other_site(name, client_for, other_staff, episode, done):
    r = client_for(other_staff).get(urls(episode, done)[name])
    assert r.status_code == 404
    assert AuditEvent.objects.filter(outcome="denied").exists()


def test_chart_shows_score_band_trend_and_audits(client_for, therapist, episode, complete_phq9, patient):
    complete_phq9([3, 3, 3, 2, 2, 2, 2, 1, 0])
    complete_phq9([1, 1, 1, 1, 0, 0, 0, 0, 0])
    r = client_for(therapist).get(reverse("outcomes:chart", args=[patient.public_id]))
    html = r.content.decode()
    assert "PHQ-9" in html and "Minimal" in html and "<svg" in html and "Data table" in html
    assert "-14" in html and "Reliably improved" in html
    assert AuditEvent.objects.filter(object_type="outcomes.chart", patient_id=patient.pk).exists()
    assert patient.legal_last_name not in r.content.decode().split("<title>")[1].split("</title>")[0]


def test_chart_empty_state(client_for, therapist, episode, patient):
    r = client_for(therapist).get(reverse("outcomes:chart", args=[patient.public_id]))
    assert "No completed measures yet" in r.content.decode()


def test_chart_banner_for_open_alert(client_for, therapist, episode, complete_phq9, patient):
    complete_phq9([0] * 8 + [2])
    r = client_for(therapist).get(reverse("outcomes:chart", args=[patient.public_id]))
    html = r.content.decode()
    assert "awaiting acknowledgement" in html and "Acknowledge" in html


def test_fhir_export_audited(client_for, therapist, episode, done):
    r = client_for(therapist).get(reverse("outcomes:fhir", args=[done.public_id]))
    assert r.json()["resourceType"] == "Bundle"
    assert AuditEvent.objects.filter(action="export", object_id=str(done.public_id)).exists()


def test_fhir_of_draft_refused(client_for, therapist, episode):
    a = services.start_administration(episode=episode, instrument_key="phq9", mode="paper", actor=therapist)
    assert client_for(therapist).get(reverse("outcomes:fhir", args=[a.public_id])).status_code == 409


def test_enter_from_paper_post(client_for, therapist, episode, patient):
    url = reverse("outcomes:enter", args=[episode.public_id])
    data = {"instrument": "phq9", "window": "", **{k: str(v) for k, v in phq9([1, 1, 1, 1, 1, 1, 1, 1, 0]).items()}}
    r = client_for(therapist).post(url, data)
    assert r.status_code == 302
    assert Administration.objects.get().primary_score == 8


def test_enter_from_paper_incomplete_shows_message(client_for, therapist, episode):
    url = reverse("outcomes:enter", args=[episode.public_id])
    r = client_for(therapist).post(url, {"instrument": "phq9", "q1": "1"})
    assert r.status_code == 422 and "Answer question 2" in r.content.decode()
    assert not Administration.objects.filter(status=AdministrationStatus.COMPLETE).exists()


@pytest.mark.parametrize("bad", [{"q1": "9"}, {"q1": "abc"}, {"window": "day999"}])
def test_enter_garbage_never_500(client_for, therapist, episode, bad):
    url = reverse("outcomes:enter", args=[episode.public_id])
    data = {"instrument": "phq9", **{k: "1" for k in phq9([1] * 9)}, **bad}
    r = client_for(therapist).post(url, data)
    assert r.status_code == 422


def test_enter_unknown_instrument_redirects(client_for, therapist, episode):
    r = client_for(therapist).get(reverse("outcomes:enter", args=[episode.public_id]) + "?instrument=locus")
    assert r.status_code == 302


def test_enter_denied_for_wrong_uuid(client_for, therapist, episode):
    r = client_for(therapist).get("/outcomes/episodes/not-a-uuid/enter/")
    assert r.status_code == 404


# ---------------------------------------------------------------- invite / due (front desk allowed)
@pytest.mark.parametrize("role", ["front_desk", "therapist", "peer_specialist"])
def test_invite_allowed_roles(role, client_for, make_staff, episode, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = client_for(make_staff(role)).post(reverse("outcomes:invite", args=[episode.public_id]),
                                              {"instrument": "phq9", "channel": "email", "next": "/outcomes/due/"})
    assert r.status_code == 302 and len(outbox) == 1


def test_invite_denied(client, client_for, make_staff, other_staff, episode):
    url = reverse("outcomes:invite", args=[episode.public_id])
    data = {"instrument": "phq9", "channel": "email"}
    assert client.post(url, data).status_code == 302 and not Administration.objects.exists()
    assert client_for(make_staff("biller")).post(url, data).status_code == 403
    assert client_for(other_staff).post(url, data).status_code == 404
    assert client_for(make_staff("therapist")).get(url).status_code == 405


def test_invite_bad_input_message(client_for, therapist, episode):
    c = client_for(therapist)
    r = c.post(reverse("outcomes:invite", args=[episode.public_id]), {"instrument": "zzz", "channel": "email"},
               follow=True)
    assert r.status_code == 200 and "Choose a measure" in r.content.decode()


def test_due_list_front_desk_sees_no_scores(client_for, make_staff, episode, schedule, complete_phq9):
    complete_phq9([3] * 9, window_key="")  # an unscheduled one with a high score
    r = client_for(make_staff("front_desk")).get(reverse("outcomes:due"))
    html = r.content.decode()
    assert r.status_code == 200 and "PHQ-9" in html and ("Overdue" in html or ">Due<" in html)
    assert ">27<" not in html and "Severe" not in html and "Minimal" not in html  # no scores or bands


def test_due_denied(client, client_for, make_staff):
    assert client.get(reverse("outcomes:due")).status_code == 302
    assert client_for(make_staff("biller")).get(reverse("outcomes:due")).status_code == 403


def test_kiosk_signs_staff_out_and_shows_only_the_form(client_for, make_staff, episode, patient):
    c = client_for(make_staff("front_desk"))
    r = c.post(reverse("outcomes:invite", args=[episode.public_id]), {"instrument": "phq9", "channel": "kiosk"})
    assert r.status_code == 302 and r["Location"] == reverse("outcomes:form")
    assert c.session.get(SESSION_KIOSK) is True and c.session.get(SESSION_LINK)
    r = c.get(reverse("outcomes:form"))
    html = r.content.decode()
    assert r.status_code == 200 and "Question 1 of" in html
    assert patient.legal_last_name not in html and patient.mrn not in html and "sidenav" not in html
    # the chart is out of reach: the staff session is gone
    assert c.get(reverse("outcomes:chart", args=[patient.public_id])).status_code == 302
    assert c.get(reverse("patients:chart", args=[patient.public_id])).status_code == 302


# ---------------------------------------------------------------- alerts
def test_alerts_page_and_acknowledge(client_for, therapist, episode, complete_phq9, make_staff):
    complete_phq9([0] * 8 + [1])
    alert = CriticalAlert.objects.get()
    c = client_for(therapist)
    assert "awaiting acknowledgement" in c.get(reverse("outcomes:alerts")).content.decode().lower()
    url = reverse("outcomes:acknowledge", args=[alert.public_id])
    r = c.post(url, {"action_taken": ""}, follow=True)
    assert "Describe the action" in r.content.decode()
    r = c.post(url, {"action_taken": "Phoned patient, safety plan reviewed"})
    alert.refresh_from_db()
    assert r.status_code == 302 and alert.status == "acknowledged" and alert.acknowledged_by == therapist


def test_alerts_denied(client, client_for, make_staff, other_staff, episode, complete_phq9):
    complete_phq9([0] * 8 + [1])
    alert = CriticalAlert.objects.get()
    assert client.get(reverse("outcomes:alerts")).status_code == 302
    assert client_for(make_staff("front_desk")).get(reverse("outcomes:alerts")).status_code == 403
    assert client_for(make_staff("biller")).get(reverse("outcomes:alerts")).status_code == 403
    assert alert.public_id and client_for(other_staff).get(reverse("outcomes:alerts")).content.decode().count(
        "Acknowledge") == 0
    ack = reverse("outcomes:acknowledge", args=[alert.public_id])
    assert client_for(other_staff).post(ack, {"action_taken": "Called"}).status_code == 404
    assert client_for(make_staff("front_desk")).post(ack, {"action_taken": "Called"}).status_code == 403


# ---------------------------------------------------------------- report and configuration
def test_report_allowed_and_denied(client, client_for, director, make_staff, program, episode, complete_phq9):
    complete_phq9([3] * 9)
    url = reverse("outcomes:report")
    assert client.get(url).status_code == 302
    for role in ("therapist", "front_desk", "biller"):
        assert client_for(make_staff(role)).get(url).status_code == 403
    c = client_for(director)
    r = c.get(url, {"program": str(program.public_id), "start": "2025-06-01", "end": "2027-06-01"})
    assert r.status_code == 200 and "PHQ-9" in r.content.decode()
    r = c.get(url, {"program": str(program.public_id), "start": "2026-02-01", "end": "2026-01-01"})
    assert r.status_code == 422 and "start date is after" in r.content.decode()
    r = c.get(url, {"program": "nonsense", "start": "x", "end": ""})
    assert r.status_code == 422


def test_report_other_site_program_not_offered(client_for, make_staff, other_site, program):
    other_director = make_staff("program_director", at=other_site)
    r = client_for(other_director).get(reverse("outcomes:report"),
                                       {"program": str(program.public_id), "start": "2025-06-01", "end": "2027-06-01"})
    assert r.status_code == 422  # not a valid choice for them


def test_schedules_page(client, client_for, director, make_staff, program):
    url = reverse("outcomes:schedules")
    assert client.get(url).status_code == 302
    assert client_for(make_staff("therapist")).get(url).status_code == 403
    c = client_for(director)
    assert c.get(url).status_code == 200
    r = c.post(url, {"program": str(program.public_id), "instrument": "gad7", "at_admission": "on",
                     "every_n_days": "7"})
    assert r.status_code == 302
    r = c.post(url, {"program": str(program.public_id), "instrument": "gad7"})
    assert r.status_code == 422 and "at least one occasion" in r.content.decode()
    r = c.post(url, {"program": str(program.public_id), "instrument": "gad7", "every_n_days": "0"})
    assert r.status_code == 422


def test_upload_definition_view(client_for, director, make_staff):
    url = reverse("outcomes:upload_definition")
    assert client_for(make_staff("therapist")).post(url, {"text": "{}"}).status_code == 403
    r = client_for(director).post(url, {"text": "{not json"}, follow=True)
    assert "not valid JSON" in r.content.decode()
    r = client_for(director).post(url, {"text": '{"key": "x"}'}, follow=True)
    assert "The definition has problems" in r.content.decode()


# ---------------------------------------------------------------- patient pages
def open_link(client, token):
    r = client.get(reverse("outcomes:link", args=[token]))
    assert r.status_code == 200
    r = client.post(reverse("outcomes:link", args=[token]))
    assert r.status_code == 302
    return r


def test_patient_flow_link_to_done(client, episode, therapist, patient):
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                 actor=therapist)
    r = client.get(reverse("outcomes:link", args=[issued.token]))
    html = r.content.decode()
    assert episode.program.name in html and patient.legal_last_name not in html
    assert "<title>Questionnaire · Trellis</title>" in html
    assert issued.link.administration.links.get().first_opened_at is None  # a GET never writes
    open_link(client, issued.token)
    form = reverse("outcomes:form")
    for i in range(1, 10):
        r = client.post(form, {"step": str(i), "answer": "1", "nav": "next"})
        assert r.status_code == 302
    r = client.get(r["Location"])
    assert "Question 10 of 10" in r.content.decode()
    r = client.post(form, {"step": "10", "answer": "", "nav": "submit"})
    assert r.status_code == 200 and "Thank you" in r.content.decode()
    a = Administration.objects.get()
    assert a.status == "complete" and a.primary_score == 9
    # reopening the link (another device) is refused calmly
    r = client.get(reverse("outcomes:link", args=[issued.token]))
    assert r.status_code == 410 and "already sent" in r.content.decode()


def test_patient_must_choose_and_out_of_range_refused(client, episode, therapist):
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                 actor=therapist)
    open_link(client, issued.token)
    form = reverse("outcomes:form")
    r = client.post(form, {"step": "1", "answer": "", "nav": "next"})
    assert r.status_code == 422 and "Choose an answer" in r.content.decode()
    r = client.post(form, {"step": "1", "answer": "17", "nav": "next"})
    assert r.status_code == 422 and "Choose one of the answers" in r.content.decode()
    assert Administration.objects.get().answers == {}


def test_patient_resumes_where_left(client, episode, therapist):
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                 actor=therapist)
    open_link(client, issued.token)
    client.post(reverse("outcomes:form"), {"step": "1", "answer": "2", "nav": "next"})
    client.post(reverse("outcomes:form"), {"step": "2", "answer": "0", "nav": "next"})
    from django.test import Client

    other = Client()
    open_link(other, issued.token)
    assert "Question 3 of" in other.get(reverse("outcomes:form")).content.decode()
    # Back keeps the saved answer checked
    r = other.get(reverse("outcomes:form") + "?step=1")
    assert 'value="2" checked' in r.content.decode()


@pytest.mark.parametrize("state", ["expired", "discharged", "unknown"])
def test_patient_link_refusals(state, client, episode, therapist, today):
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                 actor=therapist)
    token = issued.token
    if state == "expired":
        issued.link.expires_at = issued.link.created_at - timedelta(minutes=1)
        issued.link.save()
    elif state == "discharged":
        episode.status, episode.discharged_on = "discharged", today
        episode.save()
    else:
        token = "x" * 40
    r = client.get(reverse("outcomes:link", args=[token]))
    html = r.content.decode()
    assert r.status_code == (404 if state == "unknown" else 410)
    assert {"expired": "has expired", "discharged": "program has ended", "unknown": "not valid"}[state] in html
    assert episode.patient.legal_last_name not in html


def test_patient_form_without_session(client, db):
    r = client.get(reverse("outcomes:form"))
    assert r.status_code == 404 and "not valid" in r.content.decode()
    r = client.post(reverse("outcomes:form"), {"step": "1", "answer": "1"})
    assert r.status_code == 404


def test_critical_answer_by_patient_alerts(client, episode, therapist):
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                 actor=therapist)
    open_link(client, issued.token)
    for i in range(1, 10):
        client.post(reverse("outcomes:form"), {"step": str(i), "answer": "1" if i == 9 else "0", "nav": "next"})
    assert CriticalAlert.objects.filter(item_key="q9").count() == 1


# ---------------------------------------------------------------- Today counters and chart overview card
def test_today_counters_and_chart_panel(client_for, therapist, make_staff, episode, schedule, complete_phq9,
                                        patient, today):
    from trellis.core.registry import TodayContext
    from trellis.outcomes.selectors import chart_panel, today_alert_counters, today_due_counters

    complete_phq9([0] * 8 + [1])
    (alerts,) = today_alert_counters(therapist, TodayContext(day=today))
    assert alerts.value == 1 and alerts.tone == "danger"
    (due,) = today_due_counters(make_staff("front_desk"), TodayContext(day=today))
    assert due.value >= 1 and due.url == reverse("outcomes:due") + "#due"  # the fragment names the list
    panel = chart_panel(therapist, patient, today)
    assert panel["open_alerts"] == 1 and panel["latest"][0][0] == "PHQ-9"
    assert chart_panel(make_staff("biller"), patient, today) is None
    r = client_for(therapist).get(reverse("patients:chart", args=[patient.public_id]))
    assert "Outcome measures" in r.content.decode()
    r = client_for(make_staff("front_desk")).get(reverse("patients:chart", args=[patient.public_id]))
    assert "Outcome measures" not in r.content.decode()


def test_schedule_stop_allowed_and_denied(client, client_for, director, make_staff, other_site, schedule):
    url = reverse("outcomes:schedule_stop", args=[schedule.public_id])
    assert client.post(url).status_code == 302 and "/accounts/login/" in client.post(url)["Location"]
    assert client_for(make_staff("therapist")).post(url).status_code == 403
    assert client_for(make_staff("program_director", at=other_site)).post(url).status_code == 404
    assert client_for(director).get(url).status_code == 405
    schedule.refresh_from_db()
    assert schedule.active
    assert client_for(director).post(url).status_code == 302
    schedule.refresh_from_db()
    assert not schedule.active


def test_plan_review_shows_this_episodes_score_trend(client_for, therapist, episode, complete_phq9, patient):
    """The treatment-plan review carries the episode's score trend, so progress is rated against data."""
    from trellis.referrals.tests.builders import simple_plan

    plan = simple_plan(episode, therapist)
    url = reverse("careplans:plan_review", kwargs={"plan_id": plan.public_id})
    c = client_for(therapist)
    assert "Outcome measures this episode" not in c.get(url).content.decode()  # nothing measured: no empty card
    complete_phq9([3, 3, 3, 2, 2, 2, 2, 1, 0])
    complete_phq9([1, 1, 1, 1, 0, 0, 0, 0, 0])
    html = c.get(url).content.decode()
    assert "Outcome measures this episode" in html and "<svg" in html and "Data table" in html
    assert "Reliably improved" in html and "-14" in html
