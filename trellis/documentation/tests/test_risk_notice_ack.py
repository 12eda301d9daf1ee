"""A high-risk notice is acknowledged by its recipient with the action taken (who, when, what), audited, and then
leaves the open list; until then it stays on Today, the worklist and the chart (C-SSRS triage; TJC NPSG.15.01.01
EP 5-6; the acknowledgement shape of outcomes' critical-answer alerts)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from trellis.audit.models import AuditEvent
from trellis.core.errors import DomainError
from trellis.documentation import selectors, services
from trellis.documentation.models import RiskNotice
from trellis.documentation.tests.conftest import SHARED_OK, participant_ok

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(make_group, facilitator, make_staff):
    """A signed note's notice to the patient's primary clinician (made as sign_note makes it)."""
    g = make_group(attended=1)
    episode = g.attended[0].episode
    clinician = make_staff("therapist")
    episode.primary_clinician = clinician
    episode.save()
    note = services.start_note(session=g.session, user=facilitator)
    section = note.participants.get()
    note = services.save_draft(note=note, user=facilitator, expected_version=note.version, shared=SHARED_OK,
                               participants={str(section.public_id): participant_ok()})
    note = services.sign_note(note=note, user=facilitator)
    return RiskNotice.objects.create(note=note, episode=episode, recipient=clinician)


def test_acknowledgement_records_who_when_and_action_and_closes_the_notice(notice, make_staff):
    """TJC NPSG.15.01.01 EP 5-6: the follow-up of a patient at risk is documented - who, when, what was done."""
    clinician = notice.recipient
    assert list(selectors.open_risk_notices(clinician)) == [notice]
    with pytest.raises(DomainError, match="Describe the action taken"):
        services.acknowledge_risk_notice(notice=notice, user=clinician, action_taken="ok")
    with pytest.raises(DomainError, match="Only the clinician"):
        services.acknowledge_risk_notice(notice=notice, user=make_staff("therapist"),
                                         action_taken="Called the patient; safety plan reviewed.")
    done = services.acknowledge_risk_notice(notice=notice, user=clinician,
                                            action_taken="Called the patient; safety plan reviewed.")
    assert done.acknowledged_by == clinician and done.acknowledged_at is not None
    assert done.action_taken == "Called the patient; safety plan reviewed."
    assert list(selectors.open_risk_notices(clinician)) == []
    assert AuditEvent.objects.filter(object_type="risk_notice", action="update",
                                     detail__acknowledged=True).exists()
    with pytest.raises(DomainError, match="already acknowledged"):
        services.acknowledge_risk_notice(notice=notice, user=clinician, action_taken="Again, and again.")


def test_open_notice_stays_on_today_worklist_and_chart_until_acknowledged(client_for, notice, make_staff):
    """Until acknowledged the notice is counted on Today, listed on the worklist and shown on the chart; the
    acknowledge button is the recipient's only; afterwards it is gone from all three."""
    clinician = notice.recipient
    patient = notice.episode.patient
    c = client_for(clinician)
    today = c.get(reverse("web:home")).content.decode()
    assert "rated high suicide risk in a signed note" in today
    worklist = c.get(reverse("documentation:worklist")).content.decode()
    assert patient.display_name in worklist and "Acknowledge" in worklist
    chart = c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id})).content.decode()
    assert "Awaiting acknowledgement" in chart and "Action taken" in chart
    other = make_staff("therapist")
    other_chart = client_for(other).get(reverse("patients:chart", kwargs={"patient_id": patient.public_id}))
    assert b"Awaiting acknowledgement" in other_chart.content and b"Action taken" not in other_chart.content
    url = reverse("documentation:risk_notice_ack", kwargs={"note_id": notice.note.public_id,
                                                           "episode_id": notice.episode.public_id})
    assert client_for(other).post(url, {"action_taken": "Not mine to acknowledge."}).status_code == 403
    assert c.post(url, {"action_taken": ""}).status_code == 302  # refused with a message; still open
    assert RiskNotice.objects.get(pk=notice.pk).acknowledged_at is None
    chart_url = reverse("patients:chart", kwargs={"patient_id": patient.public_id})
    response = c.post(url, {"action_taken": "Assessed risk in person; safety plan updated.", "next": chart_url})
    assert response.status_code == 302 and response["Location"] == chart_url
    assert RiskNotice.objects.get(pk=notice.pk).acknowledged_by == clinician
    assert "rated high suicide risk in a signed note" not in c.get(reverse("web:home")).content.decode()
    chart = c.get(reverse("patients:chart", kwargs={"patient_id": patient.public_id})).content.decode()
    assert "Awaiting acknowledgement" not in chart
