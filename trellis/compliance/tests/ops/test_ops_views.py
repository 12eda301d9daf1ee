"""Compliance operations views: allowed and denied (anonymous, wrong role, other site), query counts at two
sizes, the UR packet refused without a covering consent and recorded as a disclosure with one, the
audit-readiness CSV."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from trellis.accounts.policies import may_open
from trellis.audit.models import AuditEvent
from trellis.compliance import ops_views
from trellis.compliance.alert_models import AlertKind, ComplianceAlert
from trellis.compliance.panels import chart_header_hours
from trellis.compliance.tests.ops.ops_helpers import admit_patient, mark
from trellis.consents.models import Disclosure
from trellis.consents.services import create_consent, sign_consent
from trellis.core.clock import today_in
from trellis.documentation.pdf import extract_text
from trellis.scheduling.testing import make_program, make_track

pytestmark = pytest.mark.django_db


def _keep(name: str, data: bytes) -> None:
    """Save a generated PDF for review when $TRELLIS_SCREENSHOTS names a directory."""
    folder = os.environ.get("TRELLIS_SCREENSHOTS")
    if folder:
        with open(os.path.join(folder, name), "wb") as fh:
            fh.write(data)


def week(monday) -> str:
    y, w, _ = monday.isocalendar()
    return f"{y}-W{w:02d}"


@pytest.fixture
def alert(episode, monday):
    a = ComplianceAlert.objects.create(patient=episode.patient, episode=episode, kind=AlertKind.HOURS_AT_RISK,
                                       week=monday, key="hours:x", message="At risk", raised_at=timezone.now())
    a.recipients.create(user=episode.primary_clinician, reason="primary", notified_at=timezone.now())
    return a


def urls(episode, alert, monday):
    return {
        "worklist": reverse("compliance:alerts"),
        "dashboard": reverse("compliance:dashboard") + f"?week={week(monday)}",
        "panel": reverse("compliance:dashboard_panel") + f"?week={week(monday)}",
        "report": reverse("compliance:audit_report") + f"?start={monday}&end={monday + timedelta(days=6)}",
        "packet": reverse("compliance:ur_packet", args=[episode.patient.public_id]),
    }


ALLOWED = {"worklist": "therapist", "dashboard": "case_manager", "panel": "biller", "report": "program_director",
           "packet": "case_manager"}
WRONG_ROLE = {"worklist": "front_desk", "dashboard": "front_desk", "panel": "peer_specialist",
              "report": "therapist", "packet": "group_facilitator"}


@pytest.mark.parametrize("name", list(ALLOWED))
def test_allowed(name, client_for, make_staff, episode, alert, monday):
    r = client_for(make_staff(ALLOWED[name])).get(urls(episode, alert, monday)[name])
    assert r.status_code == 200


@pytest.mark.parametrize("name", list(ALLOWED))
def test_anonymous_redirected_to_sign_in(name, client, episode, alert, monday):
    r = client.get(urls(episode, alert, monday)[name])
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


@pytest.mark.parametrize("name", list(WRONG_ROLE))
def test_wrong_role_forbidden(name, client_for, make_staff, episode, alert, monday):
    r = client_for(make_staff(WRONG_ROLE[name])).get(urls(episode, alert, monday)[name])
    assert r.status_code == 403


def test_other_site_gets_404_for_objects_and_never_sees_our_patients(client_for, make_staff, other_site, episode,
                                                                     alert, monday, groups):
    other = make_staff("program_director", at=other_site)
    c = client_for(other)
    assert c.get(reverse("compliance:ur_packet", args=[episode.patient.public_id])).status_code == 404
    assert c.post(reverse("compliance:acknowledge", args=[alert.public_id])).status_code == 404
    assert AuditEvent.objects.filter(outcome="denied").exists()
    name = episode.patient.legal_last_name
    for key in ("worklist", "dashboard", "report"):
        url = urls(episode, alert, monday)[key]
        url += ("&" if "?" in url else "?") + f"all=1&site={episode.program.site.public_id}"
        r = c.get(url)
        assert r.status_code == 200 and name not in r.content.decode()


def test_worklist_lists_alerts_routed_to_me_only(client_for, make_staff, episode, alert):
    mine = client_for(episode.primary_clinician).get(reverse("compliance:alerts")).content.decode()
    assert episode.patient.legal_last_name in mine
    stranger = client_for(make_staff("therapist")).get(reverse("compliance:alerts")).content.decode()
    assert episode.patient.legal_last_name not in stranger


def test_today_counter_equals_worklist_length(episode, alert):
    from trellis.compliance.dashboard import today_counters, worklist_queryset
    from trellis.core.registry import TodayContext

    user = episode.primary_clinician
    (counter,) = today_counters(user, TodayContext(day=timezone.now().date()))
    assert counter.value == len(worklist_queryset(user)) == 1


# ------------------------------------------------------------------------------------------------ dashboard
def test_dashboard_shows_status_counts_and_drills_down(client_for, case_manager, episode, groups, monday, therapist):
    mark(groups[0], episode, "absent_unexcused", therapist)
    c = client_for(case_manager)
    html = c.get(reverse("compliance:dashboard") + f"?week={week(monday)}").content.decode()
    assert "Cannot be met: 1" in html and episode.patient.legal_last_name in html
    drill = c.get(reverse("compliance:dashboard") + f"?week={week(monday)}&status=met").content.decode()
    assert "No patients with this status this week." in drill
    bad = c.get(reverse("compliance:dashboard") + "?week=2026-W99")
    assert bad.status_code == 400 and "Enter a week" in bad.content.decode()


def test_dashboard_poll_is_204_until_attendance_changes(client_for, case_manager, episode, groups, monday,
                                                        therapist):
    c = client_for(case_manager)
    first = c.get(reverse("compliance:dashboard_panel") + f"?week={week(monday)}")
    token = first.content.decode().split("since=")[1].split('"')[0]
    from urllib.parse import unquote

    token = unquote(token)
    same = c.get(reverse("compliance:dashboard_panel"), {"week": week(monday), "since": token})
    assert same.status_code == 204
    mark(groups[0], episode, "present", therapist)
    changed = c.get(reverse("compliance:dashboard_panel"), {"week": week(monday), "since": token})
    assert changed.status_code == 200


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["dashboard", "worklist", "report"])
def test_query_count_does_not_grow_with_patients(name, client_for, make_staff, track, monday, therapist,
                                                 case_manager, groups, episode):
    director = make_staff("program_director")
    director.email = "d@example.org"
    c = client_for(director)
    url = {"dashboard": reverse("compliance:dashboard") + f"?week={week(monday)}",
           "worklist": reverse("compliance:alerts") + "?all=1",
           "report": reverse("compliance:audit_report") + f"?start={monday}&end={monday + timedelta(days=6)}"}[name]

    def grow(n: int) -> None:
        for _ in range(n):
            ep = admit_patient(track, monday=monday, therapist=therapist, case_manager=case_manager)
            mark(groups[0], ep, "present", therapist)
            ComplianceAlert.objects.create(patient=ep.patient, episode=ep, kind=AlertKind.HOURS_AT_RISK,
                                           week=monday, key="hours:x", message="m", raised_at=timezone.now()
                                           ).recipients.create(user=therapist, reason="primary",
                                                               notified_at=timezone.now())

    grow(2)
    _count(c, url)  # warm caches (capabilities, content types)
    small = _count(c, url)
    grow(6)
    large = _count(c, url)
    assert small == large


# ------------------------------------------------------------------------------------------------ UR packet
def _release(patient, site, user, *, kind="release", recipient="Acme Health", categories=None):
    extra = {"categories": categories} if categories is not None else {}
    consent = create_consent(patient=patient, site=site, kind=kind, created_by=user, recipient_name=recipient,
                             information="Treatment records for utilization review", purpose="Payment",
                             expires_on=today_in(site.zone) + timedelta(days=90), **extra)
    return sign_consent(consent=consent, signer_name=patient.legal_name, collected_by=user, ip_address="127.0.0.1")


def _post_packet(c, episode, monday, recipient="Acme Health"):
    return c.post(reverse("compliance:ur_packet", args=[episode.patient.public_id]), {
        "episode": str(episode.public_id), "start": monday.isoformat(),
        "end": (monday + timedelta(days=6)).isoformat(), "notes": 3, "recipient_name": recipient})


def test_packet_refused_without_a_covering_consent(client_for, case_manager, episode, monday):
    r = _post_packet(client_for(case_manager), episode, monday)
    assert r.status_code == 400
    assert "No disclosure without a release of information in force that names this recipient" in r.content.decode()
    assert not Disclosure.objects.exists()


def test_packet_refused_when_the_consent_does_not_cover_its_sections(client_for, case_manager, episode, monday):
    """42 CFR 2.31(a)(3), 2.13(a): the packet carries diagnoses, attendance, plan progress and risk; a consent
    covering attendance only does not let it out, and the refusal names what is not covered."""
    _release(episode.patient, episode.program.site, case_manager, categories=["attendance"])
    r = _post_packet(client_for(case_manager), episode, monday)
    assert r.status_code == 400 and "does not cover: diagnoses" in r.content.decode()
    assert not Disclosure.objects.exists()


def test_packet_refused_when_the_release_names_someone_else(client_for, case_manager, episode, monday):
    _release(episode.patient, episode.program.site, case_manager, recipient="Other Plan")
    r = _post_packet(client_for(case_manager), episode, monday)
    assert r.status_code == 400 and not Disclosure.objects.exists()


def test_packet_with_consent_is_a_recorded_disclosure(client_for, case_manager, episode, groups, monday,
                                                      therapist, monkeypatch):
    monkeypatch.setattr(ops_views, "PDF_COMPRESS", False)
    mark(groups[0], episode, "present", therapist)
    _release(episode.patient, episode.program.site, case_manager)
    r = _post_packet(client_for(case_manager), episode, monday)
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    _keep("ur-packet.pdf", r.content)
    text = extract_text(r.content)
    assert "Utilization review packet" in text and "Counted hours by week" in text
    assert "Cannot be met" in text or "At risk" in text
    assert "45 CFR 164.508" in text  # the HIPAA notice to the recipient
    d = Disclosure.objects.get()
    assert d.recipient_name == "Acme Health" and d.patient == episode.patient and not d.is_part2
    assert AuditEvent.objects.filter(action="export", patient_id=episode.patient.pk).exists()


def test_part2_packet_needs_a_part2_consent_and_carries_the_notice(client_for, case_manager, episode, monday,
                                                                   monkeypatch):
    monkeypatch.setattr(ops_views, "PDF_COMPRESS", False)
    episode.program.is_part2 = True
    episode.program.save()
    _release(episode.patient, episode.program.site, case_manager)  # a general release is not enough
    c = client_for(case_manager)
    r = _post_packet(c, episode, monday)
    assert r.status_code == 400 and "Part 2" in r.content.decode()
    _release(episode.patient, episode.program.site, case_manager, kind="part2")
    r = _post_packet(c, episode, monday)
    assert r.status_code == 200
    _keep("ur-packet-part2.pdf", r.content)
    text = extract_text(r.content)
    assert "42 CFR part 2" in text and "prohibits unauthorized use or disclosure" in text
    assert Disclosure.objects.get().is_part2


def test_packet_bad_input_says_what_to_fix(client_for, case_manager, episode, monday):
    r = client_for(case_manager).post(reverse("compliance:ur_packet", args=[episode.patient.public_id]), {
        "episode": str(episode.public_id), "start": monday.isoformat(),
        "end": (monday - timedelta(days=1)).isoformat(), "notes": 3, "recipient_name": "Acme Health"})
    assert r.status_code == 400 and "The end date is before the start date." in r.content.decode()


# ------------------------------------------------------------------------------------------------ audit report
def test_audit_report_csv(client_for, make_staff, episode, groups, monday, therapist):
    mark(groups[0], episode, "present", therapist)
    r = client_for(make_staff("biller")).get(reverse("compliance:audit_report"), {
        "start": monday.isoformat(), "end": (monday + timedelta(days=6)).isoformat(), "format": "csv"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["mrn"] == episode.patient.mrn and row["date"] == monday.isoformat()
    assert row["counted_minutes"] == "180" and row["billable"] == "yes"
    assert row["minutes_result"] == "pass"
    assert row["notes_result"] == "fail" and row["plan_result"] == "fail"  # no signed note, no plan
    assert row["authorization_result"] == "n/a"
    assert row["result"] == "fail" and "Signed notes" in row["reasons"]
    assert AuditEvent.objects.filter(action="export", object_type="compliance.audit_report").exists()


def test_audit_report_pdf_and_bad_range(client_for, make_staff, episode, groups, monday, therapist):
    mark(groups[0], episode, "present", therapist)
    c = client_for(make_staff("program_director"))
    r = c.get(reverse("compliance:audit_report"), {"start": monday.isoformat(),
                                                     "end": (monday + timedelta(days=6)).isoformat(), "format": "pdf"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    _keep("audit-readiness.pdf", r.content)
    bad = c.get(reverse("compliance:audit_report"), {"start": monday.isoformat(),
                                                       "end": (monday - timedelta(days=3)).isoformat()})
    assert bad.status_code == 400 and "The end date is before the start date." in bad.content.decode()


# ------------------------------------------------------------------------------------------------ chart header, packet
CHART_TABS = ["patients:chart", "attendance:patient_hours", "episodes:episodes_tab", "consents:tab",
              "compliance:patient_hours"]


def test_hours_bar_in_the_header_of_every_chart_tab(client_for, therapist, episode, groups):
    c = client_for(therapist)
    for name in CHART_TABS:
        body = c.get(reverse(name, kwargs={"patient_id": episode.patient.public_id})).content.decode()
        header = body.split('<nav class="tabs"')[0]
        assert 'class="chart-header-hours"' in header, name
        assert 'class="hours-bar"' in header and 'role="img" aria-label="' in header, name  # a text label too
        assert ">Hours 20" in header, name  # "Hours 2026-Wnn", linked to the Hours tab


def test_hours_bar_in_the_header_only_for_roles_that_open_the_hours_tab(client_for, make_staff, episode, groups):
    for role in ("front_desk", "biller", "case_manager", "peer_specialist", "nurse"):
        user = make_staff(role)
        r = client_for(user).get(reverse("patients:chart", kwargs={"patient_id": episode.patient.public_id}))
        if r.status_code != 200:
            continue
        shown = 'class="chart-header-hours"' in r.content.decode()
        assert shown == may_open(user, "compliance:patient_hours"), role


def test_chart_header_hours_queries_do_not_grow_with_episodes(therapist, episode, groups, site):
    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            html = chart_header_hours(therapist, episode.patient, date.today())
        assert html
        return len(ctx)

    count()  # warm the per-user role cache
    one = count()
    for name in ("Adult PHP", "Evening IOP"):  # a patient in three programs at once
        other = make_track(make_program(site, name=name), name="General")
        type(episode).objects.create(patient=episode.patient, program=other.program, track=other, status="active",
                                     admitted_on=episode.admitted_on, recommended_level=other.program.level_of_care)
    assert count() == one


def test_ur_packet_form_on_the_chart_only_for_roles_that_may_open_it(client_for, make_staff, case_manager, episode):
    url = reverse("patients:chart", kwargs={"patient_id": episode.patient.public_id})
    body = client_for(case_manager).get(url).content.decode()
    action = reverse("compliance:ur_packet", args=[episode.patient.public_id])
    assert 'id="ur-panel-h"' in body and f'action="{action}"' in body
    assert 'name="start"' in body and 'name="end"' in body and 'name="recipient_name"' in body
    for role in ("front_desk", "biller", "therapist", "peer_specialist", "program_director"):
        user = make_staff(role)
        r = client_for(user).get(url)
        if r.status_code == 200:
            assert ('id="ur-panel-h"' in r.content.decode()) == may_open(user, "compliance:ur_packet"), role
