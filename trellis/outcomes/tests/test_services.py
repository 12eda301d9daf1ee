from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trellis.audit.models import AuditEvent
from trellis.core.errors import DomainError
from trellis.episodes.models import EpisodeStatus
from trellis.outcomes import services
from trellis.outcomes.models import (
    Administration,
    AdministrationStatus,
    AlertStatus,
    CriticalAlert,
    SelfCompletionLink,
)
from trellis.outcomes.tests.conftest import phq9

pytestmark = pytest.mark.django_db


def test_paper_entry_scores_and_audits(episode, therapist, schedule):
    result = services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="admission",
                                       answers=phq9([1, 2, 1, 3, 0, 2, 1, 0, 0]), actor=therapist)
    a = result.administration
    assert a.status == AdministrationStatus.COMPLETE and a.primary_score == 10 and a.primary_band == "Moderate"
    assert a.completed_on is not None and not a.has_critical and result.alert is None
    assert AuditEvent.objects.filter(object_type="administration", object_id=str(a.public_id)).count() >= 2


def test_one_administration_per_instrument_per_window(episode, therapist, schedule):
    services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="admission",
                              answers=phq9([0] * 9), actor=therapist)
    with pytest.raises(DomainError, match="already completed in this window"):
        services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="admission",
                                  answers=phq9([1] * 9), actor=therapist)
    assert Administration.objects.filter(episode=episode, window_key="admission").count() == 1


def test_unknown_window_refused(episode, therapist, schedule):
    with pytest.raises(DomainError, match="not on this program's schedule"):
        services.start_administration(episode=episode, instrument_key="phq9", window_key="day700", mode="paper",
                                      actor=therapist)


def test_incomplete_paper_entry_refused_and_nothing_saved(episode, therapist):
    with pytest.raises(DomainError, match="Answer question 9"):
        services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                                  answers=phq9([1] * 8), actor=therapist)
    assert not Administration.objects.exists()


def test_out_of_range_refused(episode, therapist):
    with pytest.raises(DomainError, match="question 3"):
        services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                                  answers=phq9([1, 1, 7, 1, 1, 1, 1, 1, 1]), actor=therapist)


def test_partial_save_then_resume_then_complete(episode, therapist):
    a = services.start_administration(episode=episode, instrument_key="phq9", mode="self_link")
    services.save_answers(administration=a, answers={"q1": 1, "q2": 2}, complete=False)
    a.refresh_from_db()
    assert a.answers == {"q1": 1, "q2": 2} and a.status == AdministrationStatus.DRAFT and a.primary_score is None
    services.save_answers(administration=a, answers=phq9([1, 2, 0, 0, 0, 0, 0, 0, 0]), complete=True)
    a.refresh_from_db()
    assert a.primary_score == 3
    with pytest.raises(DomainError, match="already submitted"):
        services.save_answers(administration=a, answers={"q1": 0}, complete=False)


def test_critical_item_raises_alert_for_primary_and_on_call(episode, therapist, director, outbox,
                                                            django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                                           answers=phq9([2, 2, 2, 2, 2, 2, 2, 2, 1]), actor=therapist)
    alert = result.alert
    assert alert is not None and alert.status == AlertStatus.OPEN and alert.item_key == "q9"
    reasons = {r.user_id: r.reason for r in alert.recipients.all()}
    assert reasons == {therapist.pk: "primary", director.pk: "on_call"}
    flag = episode.patient.flags.get(kind="suicide_risk")
    assert flag.active and "awaiting acknowledgement" in flag.label
    # e-mails carry no patient data
    assert {m.to for m in outbox} == {therapist.email, director.email}
    for m in outbox:
        assert episode.patient.legal_last_name not in m.body + m.subject
        assert "PHQ" not in m.body + m.subject


def test_critical_item_on_partial_save_alerts_once(episode):
    a = services.start_administration(episode=episode, instrument_key="phq9", mode="self_link")
    r1 = services.save_answers(administration=a, answers={"q9": 2}, complete=False)
    r2 = services.save_answers(administration=a, answers={"q1": 0}, complete=False)
    assert r1.alert is not None and r2.alert is None
    assert CriticalAlert.objects.count() == 1


def test_cssrs_positive_raises_alert(episode, therapist):
    result = services.enter_from_paper(episode=episode, instrument_key="cssrs", window_key="",
                                       answers={"q1": 1, "q2": 1, "q3": 1, "q4": 0, "q5": 0, "q6": 0},
                                       actor=therapist, mode="interview")
    assert result.alert is not None and result.administration.primary_band == "Moderate risk"


def test_acknowledge_requires_action_and_records_who_when(episode, therapist):
    alert = services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                                      answers=phq9([0] * 8 + [1]), actor=therapist).alert
    with pytest.raises(DomainError, match="Describe the action"):
        services.acknowledge_alert(alert=alert, actor=therapist, action_taken="")
    done = services.acknowledge_alert(alert=alert, actor=therapist,
                                      action_taken="Called patient; risk assessed low; safety plan reviewed.")
    assert done.status == AlertStatus.ACKNOWLEDGED and done.acknowledged_by == therapist and done.acknowledged_at
    assert "acknowledged" in episode.patient.flags.get(kind="suicide_risk").label
    with pytest.raises(DomainError, match="already acknowledged"):
        services.acknowledge_alert(alert=alert, actor=therapist, action_taken="Again and again")


def test_escalation_after_configured_time(episode, therapist, make_staff, settings, outbox,
                                         django_capture_on_commit_callbacks):
    settings.TRELLIS_OUTCOMES_ESCALATE_MINUTES = 30
    prescriber = make_staff("prescriber")
    alert = services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                                      answers=phq9([0] * 8 + [3]), actor=therapist).alert
    outbox.clear()
    assert services.escalate_overdue_alerts(now=alert.raised_at + timedelta(minutes=29)) == []
    with django_capture_on_commit_callbacks(execute=True):
        escalated = services.escalate_overdue_alerts(now=alert.raised_at + timedelta(minutes=30))
    assert [a.pk for a in escalated] == [alert.pk]
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert alert.recipients.filter(user=prescriber, reason="escalation").exists()
    assert prescriber.email in {m.to for m in outbox}
    # not again until another interval passes; never after acknowledgement
    assert services.escalate_overdue_alerts(now=alert.raised_at + timedelta(minutes=45)) == []
    services.acknowledge_alert(alert=alert, actor=therapist, action_taken="Seen in clinic, safe.")
    assert services.escalate_overdue_alerts(now=alert.raised_at + timedelta(days=1)) == []


# ---------------------------------------------------------------- links
def test_link_single_use_expiring_hashed_and_no_phi(episode, therapist, outbox, schedule,
                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="admission",
                                     channel="email", actor=therapist, base_url="https://trellis.example")
    link = issued.link
    assert link.token_hash == services.hash_token(issued.token) and issued.token not in link.token_hash
    assert not SelfCompletionLink.objects.filter(token_hash=issued.token).exists()
    (msg,) = outbox
    patient = episode.patient
    for text in (msg.subject, msg.body):
        for phi in (patient.legal_first_name, patient.legal_last_name, patient.mrn, "PHQ", "depress"):
            assert phi.lower() not in text.lower()
    assert episode.program.name in msg.body and issued.token in msg.body
    url = msg.body.split("https://trellis.example")[1].split()[0]
    assert patient.mrn not in url and str(patient.public_id) not in url

    services.begin_link(token_or_hash=issued.token)
    services.patient_save(link=link, answers=phq9([0] * 9), complete=True)
    with pytest.raises(services.LinkRefused) as exc:
        services.resolve_link(issued.token)
    assert exc.value.code == "used"


def test_link_expired(episode, therapist):
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                 actor=therapist)
    with pytest.raises(services.LinkRefused) as exc:
        services.resolve_link(issued.token, now=issued.link.expires_at + timedelta(seconds=1))
    assert exc.value.code == "expired" and "expired" in exc.value.message


def test_link_refused_after_discharge(episode, therapist, today):
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                 actor=therapist)
    episode.status, episode.discharged_on = EpisodeStatus.DISCHARGED, today
    episode.save()
    with pytest.raises(services.LinkRefused) as exc:
        services.resolve_link(issued.token)
    assert exc.value.code == "discharged"
    with pytest.raises(DomainError, match="only while the patient is in the program"):
        services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email", actor=therapist)


def test_unscheduled_resend_continues_the_same_draft(episode, therapist):
    first = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="email",
                                actor=therapist)
    services.patient_save(link=first.link, answers={"q1": 2}, complete=False)
    second = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="kiosk",
                                 actor=therapist)
    assert second.link.administration_id == first.link.administration_id
    assert second.link.administration.answers == {"q1": 2}
    with pytest.raises(services.LinkRefused):
        services.resolve_link(first.token)


def test_unknown_token_refused(db):
    with pytest.raises(services.LinkRefused) as exc:
        services.resolve_link("not-a-token")
    assert exc.value.code == "unknown"


def test_scheduled_link_reuses_window_draft_and_revokes_older(episode, therapist, schedule):
    first = services.issue_link(episode=episode, instrument_key="phq9", window_key="admission", channel="email",
                                actor=therapist)
    second = services.issue_link(episode=episode, instrument_key="phq9", window_key="admission", channel="email",
                                 actor=therapist)
    assert first.link.administration_id == second.link.administration_id
    with pytest.raises(services.LinkRefused) as exc:
        services.resolve_link(first.token)
    assert exc.value.code == "revoked"
    assert services.resolve_link(second.token).pk == second.link.pk


def test_link_without_contact_refused(episode, therapist):
    episode.patient.phone = ""
    episode.patient.save()
    with pytest.raises(DomainError, match="no phone number"):
        services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="sms", actor=therapist)


def test_patient_save_rechecks_link(episode, therapist):
    issued = services.issue_link(episode=episode, instrument_key="phq9", window_key="", channel="kiosk",
                                 actor=therapist)
    SelfCompletionLink.objects.filter(pk=issued.link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.LinkRefused):
        services.patient_save(link=issued.link, answers={"q1": 1}, complete=False)
    assert Administration.objects.get().answers == {}


# ---------------------------------------------------------------- configuration
def test_schedule_validation(program, director):
    with pytest.raises(DomainError, match="at least one occasion"):
        services.save_schedule(program=program, instrument_key="gad7", actor=director, at_admission=False,
                               at_discharge=False)
    with pytest.raises(DomainError, match="Choose an instrument"):
        services.save_schedule(program=program, instrument_key="locus", actor=director)


def test_upload_licensed_definition(org, director):
    import copy

    from trellis.outcomes.library import get_instrument, shipped

    data = copy.deepcopy(dict(shipped()["gad7"].raw))
    data["key"] = "orgscale"
    with pytest.raises(DomainError, match="licensed_by_organization"):
        services.upload_definition(organization=org, data=data, actor=director)
    data["licence"]["status"] = "licensed_by_organization"
    row = services.upload_definition(organization=org, data=data, actor=director)
    assert get_instrument("orgscale", org).key == "orgscale" and row.version == "1"
    with pytest.raises(DomainError, match="already uploaded"):
        services.upload_definition(organization=org, data=data, actor=director)
    bad = copy.deepcopy(data)
    bad["scales"][0]["items"].append("nope")
    bad["version"] = "2"
    with pytest.raises(DomainError, match="unknown item 'nope'"):
        services.upload_definition(organization=org, data=bad, actor=director)
    data["key"] = "phq9"
    with pytest.raises(DomainError, match="built-in"):
        services.upload_definition(organization=org, data=data, actor=director)
