from datetime import timedelta

import pytest
from django.utils import timezone

from trellis.attendance.models import Attendance, AttendanceCorrection
from trellis.audit.models import AuditEvent
from trellis.core.errors import DomainError
from trellis.scheduling.models import SessionStatus
from trellis.telehealth import selectors, services
from trellis.telehealth.models import JoinLink, LobbyState, PresenceEvent, PresenceKind
from trellis.telehealth.senders import MemorySender
from trellis.telehealth.services import LinkProblem
from trellis.telehealth.tests.conftest import video_session

pytestmark = pytest.mark.django_db


def issue(scene):
    return services.issue_links(session=scene.session, user=scene.clinician, base_url="https://clinic.example/")


def test_issue_links_stores_only_a_hash_and_sends_no_phi(scene):
    issued = issue(scene)
    assert len(issued) == 2
    link = JoinLink.objects.get(pk=issued[0].link.pk)
    assert link.token_hash == JoinLink.hash_token(issued[0].token) and issued[0].token not in link.token_hash
    assert link.valid_from == scene.session.starts_at - timedelta(minutes=15)
    assert link.valid_until == scene.session.ends_at
    # Alex has an email; Sam has none so nothing could be sent.
    assert [i.sent for i in issued] == [True, False] or [i.sent for i in issued] == [False, True]
    (msg,) = MemorySender.outbox
    assert msg.subject == "Your video session link"
    for phi in ("Alex", "Rivera", "Dana", "Process group"):
        assert phi not in msg.body and phi not in msg.subject
    assert "Adult IOP" in msg.body and "/telehealth/j/" in msg.body
    assert issue(scene) == []  # idempotent: one live link per patient
    assert AuditEvent.objects.filter(object_type="joinlink", action="create").count() == 2


def test_issue_links_refuses_in_person_and_cancelled(scene):
    scene.session.modality = "in_person"
    with pytest.raises(DomainError, match="in person"):
        issue(scene)
    scene.session.modality = "telehealth"
    scene.session.status = SessionStatus.CANCELLED
    with pytest.raises(DomainError, match="cancelled"):
        issue(scene)


def test_check_link_problems(scene, site, make_staff):
    issued = issue(scene)
    link = selectors.find_link(issued[0].token)
    assert services.check_link(link) is None
    assert services.check_link(None) == LinkProblem.UNKNOWN
    assert services.check_link(link, now=link.valid_from - timedelta(minutes=1)) == LinkProblem.TOO_EARLY
    assert services.check_link(link, now=link.valid_until) == LinkProblem.EXPIRED
    # Excused from this occurrence: off the roster.
    from trellis.scheduling.services import excuse_from_roster

    excuse_from_roster(session=scene.session, episode=link.episode, user=scene.clinician, reason="Hospital visit")
    assert services.check_link(link) == LinkProblem.NOT_ON_ROSTER
    services.revoke_link(link=link, user=scene.clinician, reason="Resent")
    link.refresh_from_db()
    assert services.check_link(link) == LinkProblem.REVOKED
    with pytest.raises(DomainError):
        services.revoke_link(link=link, user=scene.clinician, reason="again")


def test_identity_check_locks_after_five_misses(scene):
    link = issue(scene)[0].link
    wrong = link.episode.patient.date_of_birth - timedelta(days=1)
    for _ in range(5):
        assert services.confirm_identity(link=link, date_of_birth=wrong) is False
    link.refresh_from_db()
    assert services.check_link(link) == LinkProblem.LOCKED
    assert services.confirm_identity(link=link, date_of_birth=link.episode.patient.date_of_birth) is False
    assert AuditEvent.objects.filter(object_id=str(link.public_id), action="login_failed").count() == 5


def test_second_device_supersedes_and_reconnect_returns_to_session(scene):
    link = issue(scene)[0].link
    first = services.patient_connected(link=link, device="aaaa")
    assert first.link.state == LobbyState.WAITING and not first.reconnect and first.superseded_device == ""
    second = services.patient_connected(link=link, device="bbbb")
    assert second.superseded_device == "aaaa" and second.reconnect
    # The old device's goodbye changes nothing.
    assert services.patient_disconnected(link=link, device="aaaa") is None
    services.move_patient(link=link, user=scene.clinician, to=LobbyState.ADMITTED)
    services.patient_disconnected(link=link, device="bbbb")
    link.refresh_from_db()
    assert link.state == LobbyState.ADMITTED and not link.connected  # dropped network keeps the place
    back = services.patient_connected(link=link, device="cccc")
    assert back.link.state == LobbyState.ADMITTED and back.reconnect
    kinds = list(PresenceEvent.objects.filter(link=link).values_list("kind", flat=True))
    assert kinds == ["join", "superseded", "reconnect", "admit", "leave", "reconnect"]


def test_lobby_transitions_and_reasons(scene):
    link = issue(scene)[0].link
    with pytest.raises(DomainError):
        services.move_patient(link=link, user=scene.clinician, to=LobbyState.ADMITTED)  # not arrived yet
    services.patient_connected(link=link, device="d1")
    with pytest.raises(DomainError, match="reason"):
        services.move_patient(link=link, user=scene.clinician, to=LobbyState.NOT_SEEN)
    services.move_patient(link=link, user=scene.clinician, to=LobbyState.BREAKOUT)
    services.move_patient(link=link, user=scene.clinician, to=LobbyState.ADMITTED)
    with pytest.raises(DomainError):
        services.move_patient(link=link, user=scene.clinician, to="bogus")
    events = AuditEvent.objects.filter(object_id=str(link.public_id)).values_list("detail", flat=True)
    assert {"event": "breakout"} in list(events) and {"event": "admit"} in list(events)


def test_admit_all_admits_connected_waiting_rostered(scene):
    links = [i.link for i in issue(scene)]
    services.patient_connected(link=links[0], device="d1")
    admitted = services.admit_all(session=scene.session, user=scene.clinician)
    assert [a.pk for a in admitted] == [links[0].pk]


def _presence(link, kind, minutes, session):
    PresenceEvent.objects.create(session=session, link=link, kind=kind,
                                 occurred_at=session.starts_at + timedelta(minutes=minutes))


def test_confirm_attendance_subtracts_gaps_and_picks_modality(scene):
    s = scene.session = video_session(scene.site, scene.clinician, scene.track, start_offset=-60)
    links = sorted((i.link for i in issue(scene)), key=lambda link: link.episode_id)
    a, b = links
    for kind, m in (("join", -3), ("admit", 0), ("leave", 20), ("reconnect", 25)):
        _presence(a, kind, m, s)
    JoinLink.objects.filter(pk=a.pk).update(had_video=True)
    # b never admitted: absent.
    _presence(b, "join", 1, s)
    saved = services.confirm_attendance(session=s, user=scene.clinician)
    assert len(saved) == 2
    att_a = Attendance.objects.get(session=s, episode=a.episode)
    now_minutes = (timezone.now() - s.starts_at).total_seconds() / 60
    # 0→20, then 25→now (still connected): the 5-minute gap is not counted.
    assert att_a.minutes in {int(20 + now_minutes - 25), int(20 + now_minutes - 25) - 1}
    assert att_a.minutes < int(now_minutes)
    assert att_a.modality == "video" and att_a.arrived_at == s.starts_at
    att_b = Attendance.objects.get(session=s, episode=b.episode)
    assert att_b.status == "absent_unexcused" and att_b.minutes == 0
    # Confirming again after more presence goes through the correction path.
    _presence(b, "admit", 2, s)
    services.confirm_attendance(session=s, user=scene.clinician)
    att_b.refresh_from_db()
    assert att_b.status in {"present", "late"} and att_b.modality == "audio_only"
    assert AttendanceCorrection.objects.filter(attendance=att_b).count() == 1


def test_not_seen_is_an_excused_absence(scene):
    link = issue(scene)[0].link
    services.patient_connected(link=link, device="d1")
    services.move_patient(link=link, user=scene.clinician, to=LobbyState.NOT_SEEN, reason="Clinician ill")
    services.confirm_attendance(session=scene.session, user=scene.clinician, episode_ids=[link.episode_id])
    att = Attendance.objects.get(session=scene.session, episode=link.episode)
    assert att.status == "absent_excused" and att.absence_reason == "Clinician ill"


def test_suggestions_query_count_is_bounded(scene, django_assert_max_num_queries, site, make_staff):
    issue(scene)
    with django_assert_max_num_queries(3):
        rows = selectors.suggestions(scene.session)
    assert len(rows) == 2
    other = video_session(site, scene.clinician, scene.track, title="Skills")
    services.issue_links(session=other, user=scene.clinician, base_url="http://x/", send=False)
    with django_assert_max_num_queries(3):
        selectors.suggestions(other)


def test_late_notice_bounds(scene):
    with pytest.raises(DomainError):
        services.post_late_notice(session=scene.session, user=scene.clinician, minutes=500)
    room = services.post_late_notice(session=scene.session, user=scene.clinician, minutes=5)
    assert room.late_minutes == 5
    link = issue(scene)[0].link
    link = selectors.link_by_id(link.public_id)
    assert "Running 5 minutes late" in selectors.patient_status(link)["late_text"]


def test_presence_kinds_cover_the_pure_module():
    from trellis.telehealth import presence

    known = set(PresenceKind.values)
    assert known >= presence.CONNECT | presence.DISCONNECT | presence.ENTER_SESSION | presence.EXIT_SESSION
