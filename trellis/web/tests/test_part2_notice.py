"""The 42 CFR 2.32 notice on every print and export: walked over every print/export route with the demo data,
once with no Part 2 program (no notice anywhere) and once with every program a Part 2 program (the notice on
every document). The decision and the wording come from one place (trellis.core.part2)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from trellis.accounts.models import SiteMembership
from trellis.core.part2 import part2_notice_applies, render_part2_notice
from trellis.core.tests.test_url_walk import ALL_PATTERNS
from trellis.web.tests.test_get_writes import _first, _model, demo_world  # noqa: F401

pytestmark = pytest.mark.django_db

PHRASE = "protected by federal confidentiality rules"

# Every route that prints or exports patient records, and where the notice goes.
PRINT_EXPORT_ROUTES = {
    "patients:face_sheet",
    "scheduling:day_sheet",
    "careplans:plan_pdf",
    "episodes:summary_pdf",
    "documentation:chart_notes_pdf",
    "documentation:chart_note_pdf",
    "outcomes:fhir",
}
# Print/export routes walked elsewhere or carrying the notice another way, with the reason.
NOT_WALKED_HERE = {
    # Disclosures to a named recipient (POST, under a release): consents' tests assert the 2.32 notice and
    # the consent's scope on the letter and the exported summary.
    "episodes:referral_letter": "disclosure under a release; trellis/consents/tests/test_disclosures.py",
    "episodes:export_summary": "disclosure under a release; trellis/consents/tests/test_disclosures.py",
    # An X12 837 batch carries the abbreviated 2.32(a)(2) statement in each Part 2 claim's 2300 NTE*ADD
    # (the full statement does not fit the 80-character note).
    "billing:download": "837 claim note; trellis/billing/tests/test_charges_claims.py and x12/tests/test_writer.py",
}
LOOKS_LIKE_PRINT = re.compile(r"pdf|print|sheet|export|letter|download|fhir|csv", re.IGNORECASE)


def test_every_print_or_export_route_is_accounted_for():
    found = {name for name, p in ALL_PATTERNS if LOOKS_LIKE_PRINT.search(name) or LOOKS_LIKE_PRINT.search(
        str(p.pattern))}
    unaccounted = sorted(found - PRINT_EXPORT_ROUTES - set(NOT_WALKED_HERE))
    assert unaccounted == [], (
        f"new print/export routes {unaccounted}: use trellis.core.part2.part2_notice_for(patients) in the view "
        "and add the route to PRINT_EXPORT_ROUTES here"
    )


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body.startswith(b"%PDF"):
        text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(body)).pages)
    else:
        text = body.decode(errors="replace")
    return re.sub(r"\s+", " ", text).lower()


def _urls(ctx: Any) -> dict[str, str]:
    site = ctx.sites[0]
    ParticipantNote = _model("ParticipantNote")
    signed = _first(ParticipantNote.objects.filter(note__session__site=site, note__status="complete")
                    .select_related("episode__patient"), "signed note")
    plan = _first(_model("TreatmentPlan").objects.filter(episode__program__site=site), "plan")
    discharged = _first(_model("DischargeRecord").objects.filter(episode__program__site=site)
                        .select_related("episode"), "discharge record").episode
    attended = _first(_model("Session").objects.filter(site=site, attendance__isnull=False)
                      .order_by("-starts_at"), "session with attendance")
    roster_day = timezone.localtime(attended.starts_at, site.zone).date()
    patient = signed.episode.patient
    administration = _first(_model("Administration").objects.filter(status="complete", episode__program__site=site),
                            "completed outcome measure")
    return {
        "outcomes:fhir": reverse("outcomes:fhir", kwargs={"administration_id": administration.public_id}),
        "patients:face_sheet": reverse("patients:face_sheet", kwargs={"patient_id": patient.public_id}),
        "scheduling:day_sheet": reverse("scheduling:day_sheet") + f"?date={roster_day.isoformat()}",
        "careplans:plan_pdf": reverse("careplans:plan_pdf", kwargs={"plan_id": plan.public_id}),
        "episodes:summary_pdf": reverse("episodes:summary_pdf", kwargs={"episode_id": discharged.public_id}),
        "documentation:chart_notes_pdf": reverse("documentation:chart_notes_pdf",
                                                 kwargs={"patient_id": patient.public_id}),
        "documentation:chart_note_pdf": reverse("documentation:chart_note_pdf", kwargs={
            "patient_id": patient.public_id, "participant_id": signed.public_id}),
    }


def test_notice_is_on_every_print_for_part2_records_and_on_none_otherwise(demo_world, client_for):  # noqa: F811
    ctx, _, _ = demo_world
    director = SiteMembership.objects.filter(site=ctx.sites[0], role="program_director").first().user
    c = client_for(director)
    urls = _urls(ctx)
    assert set(urls) == PRINT_EXPORT_ROUTES
    Program = _model("Program")
    for part2, expect in ((False, False), (True, True)):
        Program.objects.update(is_part2=part2)
        wrong = []
        for name, url in urls.items():
            response = c.get(url)
            assert response.status_code == 200, f"{name} -> {response.status_code}"
            if (PHRASE in _text(response)) != expect:
                wrong.append(name)
        assert wrong == [], f"{'missing' if expect else 'unexpected'} 42 CFR 2.32 notice on: {wrong}"


def test_one_decision_and_one_rendering(patient):
    assert part2_notice_applies([]) is False
    assert part2_notice_applies([patient]) is False  # no episode in a Part 2 program
    assert render_part2_notice(False) == ""
    assert PHRASE in render_part2_notice(True).lower()
    assert "<section" in render_part2_notice(True, fmt="html")
