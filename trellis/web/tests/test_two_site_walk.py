"""Every chart tab and export is site-scoped. A patient cared for at two sites: a user of one site walks every
chart tab and print/export route and sees nothing recorded at the other site (its notes, consents, plans,
episodes). A patient of the other site only: every chart tab answers 404 to that user, and the denial is
audited."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from trellis.accounts.models import Role, SiteMembership
from trellis.audit.models import AuditAction, AuditEvent
from trellis.core.registry import chart_tabs
from trellis.core.testing.factories import make_staff
from trellis.core.tests.test_url_walk import ALL_PATTERNS
from trellis.web.tests.test_get_writes import _model, demo_world  # noqa: F401

pytestmark = pytest.mark.django_db

PATIENT_ROUTES = [(n, p) for n, p in ALL_PATTERNS if set(p.pattern.converters) == {"patient_id"}]


def _body(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"%PDF"):
        return " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    return body.decode(errors="replace")


def _two_site_patient(ctx: Any) -> tuple[Any, Any, Any, list[str]]:
    """A patient of site B with records there, also linked to site A; the public ids of what B recorded."""
    site_a, site_b = ctx.sites[0], ctx.sites[1]
    Episode, PatientSite = _model("Episode"), _model("PatientSite")
    episode = Episode.objects.filter(program__site=site_b, participant_notes__isnull=False).select_related(
        "patient").first()
    assert episode is not None, "the demo has no site-B episode with notes"
    patient = episode.patient
    PatientSite.objects.get_or_create(patient=patient, site=site_a)
    ids = [str(episode.public_id)]
    ids += [str(x) for x in _model("ParticipantNote").objects.filter(note__session__site=site_b, episode__patient=patient)
            .values_list("note__public_id", flat=True)]
    ids += [str(x) for x in _model("Consent").objects.filter(site=site_b, patient=patient)
            .values_list("public_id", flat=True)]
    ids += [str(x) for x in _model("TreatmentPlan").objects.filter(episode__program__site=site_b,
                                                                     episode__patient=patient)
            .values_list("public_id", flat=True)]
    return patient, site_a, site_b, ids


def _site_a_user(site_a: Any) -> Any:
    user = make_staff(Role.PROGRAM_DIRECTOR, site_a)
    # A case manager too, so every chart route (coverage edits, reviews) reaches its object lookup at site A:
    # the walk is about site scope, not about which role may use a route.
    SiteMembership.objects.create(user=user, site=site_a, role=Role.CASE_MANAGER)
    assert not SiteMembership.objects.filter(user=user).exclude(site=site_a).exists()
    return user


def test_a_patient_at_two_sites_shows_one_site_only_what_it_recorded(demo_world, client_for):  # noqa: F811
    ctx, _, _ = demo_world
    patient, site_a, site_b, b_ids = _two_site_patient(ctx)
    assert len(b_ids) > 1
    b_programs = list(_model("Program").objects.filter(site=site_b).values_list("name", flat=True))
    a_programs = set(_model("Program").objects.filter(site=site_a).values_list("name", flat=True))
    b_only_programs = [name for name in b_programs if name not in a_programs]
    c = client_for(_site_a_user(site_a))
    leaks = []
    for name, _pattern in PATIENT_ROUTES:
        response = c.get(reverse(name, kwargs={"patient_id": patient.public_id}))
        if response.status_code >= 400 and response.status_code != 405:
            continue  # refused outright: nothing shown
        if response.status_code == 302:
            continue
        body = _body(response)
        shown = [i for i in b_ids if i in body] + [p for p in b_only_programs if re.search(re.escape(p), body)]
        if shown:
            leaks.append(f"{name}: {shown}")
    assert leaks == [], "site-B records shown to a site-A user:\n" + "\n".join(leaks)


def test_every_chart_tab_of_another_sites_patient_is_404_and_audited(demo_world, client_for):  # noqa: F811
    ctx, _, _ = demo_world
    site_a, site_b = ctx.sites[0], ctx.sites[1]
    linked_to_a = _model("PatientSite").objects.filter(site=site_a).values_list("patient_id", flat=True)
    patient = _model("Patient").objects.filter(site_links__site=site_b).exclude(pk__in=linked_to_a).first()
    assert patient is not None
    user = _site_a_user(site_a)
    c = client_for(user)
    tabs = [tab.url_name for tab in chart_tabs()]
    assert len(tabs) >= 5
    for url_name in [*tabs, *(n for n, _ in PATIENT_ROUTES if n not in tabs)]:
        before = AuditEvent.objects.filter(actor=user, action=AuditAction.DENIED, patient=patient).count()
        response = c.get(reverse(url_name, kwargs={"patient_id": patient.public_id}))
        if response.status_code == 405:
            continue
        assert response.status_code == 404, f"{url_name} -> {response.status_code}"
        assert patient.legal_last_name not in response.content.decode(errors="replace")
        after = AuditEvent.objects.filter(actor=user, action=AuditAction.DENIED, patient=patient).count()
        assert after == before + 1, f"{url_name}: denial not audited"
