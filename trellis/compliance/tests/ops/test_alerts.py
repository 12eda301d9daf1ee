"""Hours alerts: raised when attendance is saved (never on a page view), once per patient-week, routed to the
case manager and primary clinician, e-mailed without PHI; authorization and review alerts from the sweep."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from trellis.compliance import alerts
from trellis.compliance.alert_models import AlertKind, ComplianceAlert
from trellis.compliance.tests.ops.ops_helpers import mark

pytestmark = pytest.mark.django_db


def test_absence_makes_the_week_unreachable_and_raises_one_routed_alert(
        episode, groups, therapist, case_manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark(groups[0], episode, "absent_unexcused", therapist)
    alert = ComplianceAlert.objects.get(patient=episode.patient)
    assert alert.kind == AlertKind.HOURS_CANNOT_MEET
    assert alert.week == groups[0].local_date
    assert {r.user for r in alert.recipients.all()} == {therapist, case_manager}
    assert sorted(m.to[0] for m in mail.outbox) == ["casey@example.org", "theo@example.org"]
    for m in mail.outbox:
        assert episode.patient.legal_last_name not in m.subject + m.body
        assert episode.patient.mrn not in m.subject + m.body


def test_one_alert_per_patient_week_however_often_attendance_is_saved_or_pages_opened(
        episode, groups, therapist, client_for, django_capture_on_commit_callbacks):
    c = client_for(therapist)
    for status in ("absent_unexcused", "absent_excused", "absent_unexcused", "present", "absent_unexcused"):
        with django_capture_on_commit_callbacks(execute=True):
            mark(groups[0], episode, status, therapist)
        for url in (reverse("compliance:alerts"), reverse("compliance:dashboard"), reverse("web:home")):
            assert c.get(url).status_code == 200
    assert ComplianceAlert.objects.filter(patient=episode.patient).count() == 1
    assert len(mail.outbox) == 2  # case manager + primary clinician, once
    with django_capture_on_commit_callbacks(execute=True):
        call_command("compliance_alerts")
        call_command("compliance_alerts")
    assert ComplianceAlert.objects.filter(patient=episode.patient, week=groups[0].local_date).count() == 1


def test_the_database_refuses_a_second_hours_alert_for_the_same_patient_week(episode, groups):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    week = groups[0].local_date
    ComplianceAlert.objects.create(patient=episode.patient, episode=episode, kind=AlertKind.HOURS_AT_RISK,
                                   week=week, key="hours:a", message="m", raised_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        ComplianceAlert.objects.create(patient=episode.patient, episode=episode, kind=AlertKind.HOURS_CANNOT_MEET,
                                       week=week, key="hours:b", message="m", raised_at=timezone.now())


def test_a_page_view_raises_nothing(episode, groups, therapist, client_for):
    c = client_for(therapist)
    for url in (reverse("compliance:alerts"), reverse("compliance:dashboard") + "?week=",
                reverse("web:home")):
        c.get(url)
    assert not ComplianceAlert.objects.exists()


def test_at_risk_then_worse_updates_the_same_alert(episode, groups, therapist, django_capture_on_commit_callbacks):
    monday = groups[0].local_date
    eps = alerts.alertable_episodes(episode_ids=[episode.pk])
    (raised,) = alerts.evaluate_hours_alerts(episodes=eps, monday=monday)  # nothing marked: at risk
    assert raised.created and raised.alert.kind == AlertKind.HOURS_AT_RISK
    assert "To reach it: attend the 3 remaining sessions" in raised.alert.message  # the engine's proposal
    with django_capture_on_commit_callbacks(execute=True):
        mark(groups[1], episode, "absent_unexcused", therapist)
    alert = ComplianceAlert.objects.get(patient=episode.patient)
    assert alert.kind == AlertKind.HOURS_CANNOT_MEET and alert.pk == raised.alert.pk


def test_an_alert_whose_week_is_then_met_leaves_the_worklist(episode, groups, therapist, client_for,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark(groups[0], episode, "present", therapist)  # at risk: both remaining groups are needed
    alert = ComplianceAlert.objects.get(patient=episode.patient)
    assert alert.kind == AlertKind.HOURS_AT_RISK and alert.state == "open"
    with django_capture_on_commit_callbacks(execute=True):
        mark(groups[1], episode, "present", therapist)
        mark(groups[2], episode, "present", therapist)
    alert.refresh_from_db()
    assert alert.state == "resolved"
    assert episode.patient.legal_last_name not in client_for(therapist).get(
        reverse("compliance:alerts")).content.decode()


def test_a_met_week_raises_nothing(episode, groups, therapist, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for s in groups:
            mark(s, episode, "present", therapist)
    assert not ComplianceAlert.objects.exists()


def test_acknowledge(episode, groups, therapist, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        mark(groups[0], episode, "absent_unexcused", therapist)
    alert = ComplianceAlert.objects.get()
    r = client_for(therapist).post(reverse("compliance:acknowledge", args=[alert.public_id]),
                                   {"action_taken": "Added an individual session Thursday."})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.acknowledged_by == therapist


def test_authorization_alerts_once(episode, monday, therapist, groups, django_capture_on_commit_callbacks):
    from trellis.coverage.models import Authorization, ConcurrentReview, Coverage, Payer

    payer = Payer.objects.create(organization=episode.patient.organization, name="Acme Health",
                                 payer_identifier="ACME", payer_type="commercial")
    cov = Coverage.objects.create(patient=episode.patient, payer=payer, member_id="M1",
                                  effective_from=monday - timedelta(days=60))
    today = monday + timedelta(days=4)
    auth = Authorization.objects.create(coverage=cov, episode=episode, number="A-1", level_of_care="iop",
                                        units_authorized=3, start_on=monday, end_on=today + timedelta(days=2),
                                        review_frequency_days=7)
    ConcurrentReview.objects.create(authorization=auth, due_on=today)
    for s in groups:
        mark(s, episode, "present", therapist)
    eps = alerts.alertable_episodes(episode_ids=[episode.pk])
    first = alerts.evaluate_authorization_alerts(episodes=eps, today=today)
    kinds = {r.alert.kind for r in first}
    assert {AlertKind.AUTH_EXPIRING, AlertKind.AUTH_LOW_UNITS, AlertKind.REVIEW_DUE} <= kinds
    again = alerts.evaluate_authorization_alerts(episodes=eps, today=today)
    assert not any(r.created for r in again)


def test_days_worked_without_authorization(episode, monday, therapist, groups):
    from trellis.coverage.models import Coverage, Payer

    payer = Payer.objects.create(organization=episode.patient.organization, name="Acme Health",
                                 payer_identifier="ACME", payer_type="commercial", requires_authorization=True)
    Coverage.objects.create(patient=episode.patient, payer=payer, member_id="M1",
                            effective_from=monday - timedelta(days=60))
    for s in groups:
        mark(s, episode, "present", therapist)
    eps = alerts.alertable_episodes(episode_ids=[episode.pk])
    raised = [r for r in alerts.evaluate_authorization_alerts(episodes=eps, today=monday + timedelta(days=6))
              if r.alert.kind == AlertKind.UNAUTHORIZED_DAYS]
    assert len(raised) == 1 and raised[0].alert.week == monday
    assert "3 days worked without an authorization" in raised[0].alert.message
