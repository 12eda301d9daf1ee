"""FHIR R4 export validated twice, by two independent model sets (fhir.resources' R4B models and the SMART on FHIR
client's R4 4.0.1 models, strict); query counts independent of data size; the escalation command."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse
from fhirclient.models.bundle import Bundle as R4Bundle

from trellis.core.testing.factories import PatientFactory
from trellis.outcomes import library, selectors, services
from trellis.outcomes.models import CriticalAlert
from trellis.outcomes.tests.conftest import phq9
from trellis.outcomes.views import export_bundle
from trellis.scheduling.testing import admit

pytestmark = pytest.mark.django_db


# fhir.resources 8 ships FHIR R5 by default and R4B (4.3.0) as a sub-package, not R4; the SMART on FHIR client
# (fhirclient 4.3) has models generated from FHIR 4.0.1 (R4) itself. In strict mode it refuses an unknown
# element, a wrong type or a missing required element anywhere in the bundle, entries included.
def _valid_r4(data: dict) -> R4Bundle:
    bundle = R4Bundle(data, strict=True)
    assert [e.resource.resource_type for e in bundle.entry][0] == "QuestionnaireResponse"
    return bundle


def test_the_r4_check_can_fail(episode, complete_phq9):
    from fhirclient.models.fhirabstractbase import FHIRValidationError

    data = export_bundle(complete_phq9([1] * 9), library.get_instrument("phq9"))
    data["entry"][0]["resource"]["statusReason"] = "R5 only"  # an element R4 QuestionnaireResponse lacks
    with pytest.raises(FHIRValidationError):
        R4Bundle(data, strict=True)
    del data["entry"][0]["resource"]["statusReason"]
    del data["entry"][1]["resource"]["code"]  # Observation.code is 1..1
    with pytest.raises(FHIRValidationError):
        R4Bundle(data, strict=True)


def test_phq9_exports_valid_questionnaire_response_and_loinc_observation(episode, complete_phq9):
    a = complete_phq9([1, 2, 1, 3, 0, 2, 1, 0, 0])
    data = export_bundle(a, library.get_instrument("phq9"))
    bundle = Bundle.model_validate(data)
    _valid_r4(data)
    qr = QuestionnaireResponse.model_validate(data["entry"][0]["resource"])
    assert qr.status == "completed" and len(qr.item) == 9
    assert qr.subject.reference == f"Patient/{episode.patient.public_id}"
    (obs_data,) = [e["resource"] for e in data["entry"][1:]]
    obs = Observation.model_validate(obs_data)
    assert obs.code.coding[0].system == "http://loinc.org" and obs.code.coding[0].code == "44261-6"
    assert float(obs.valueQuantity.value) == 10 and obs.derivedFrom[0].reference == f"QuestionnaireResponse/{a.public_id}"
    assert bundle.type == "collection"
    text = str(data)
    assert episode.patient.legal_last_name not in text and episode.patient.mrn not in text


def test_gad7_and_pcl5_observations(episode, therapist):
    a = services.enter_from_paper(episode=episode, instrument_key="pcl5", window_key="",
                                  answers={f"q{i}": 2 for i in range(1, 21)}, actor=therapist).administration
    data = export_bundle(a, library.get_instrument("pcl5"))
    Bundle.model_validate(data)
    _valid_r4(data)
    codes = [e["resource"]["code"]["coding"][0]["code"] for e in data["entry"][1:]]
    assert codes[0] == "101698-9" and len(codes) == 5  # total + four clusters
    g = services.enter_from_paper(episode=episode, instrument_key="gad7", window_key="",
                                  answers={f"q{i}": 1 for i in range(1, 8)}, actor=therapist).administration
    data = export_bundle(g, library.get_instrument("gad7"))
    _valid_r4(data)
    obs = Observation.model_validate(data["entry"][1]["resource"])
    assert obs.code.coding[0].code == "70274-6"


def test_bam_exports_subscales_without_loinc(episode, therapist):
    answers = {"q1": 2, "q2": 1, "q3": 3, "q4": 0, "q6": 0, "q8": 2, "q9": 3, "q10": 4, "q11": 1, "q12": 0,
               "q13": 4, "q14": 4, "q15": 1, "q16": 3, "q17": 2}
    a = services.enter_from_paper(episode=episode, instrument_key="bam", window_key="", answers=answers,
                                  actor=therapist).administration
    data = export_bundle(a, library.get_instrument("bam"))
    Bundle.model_validate(data)
    _valid_r4(data)
    assert {e["resource"]["code"]["coding"][0]["code"] for e in data["entry"][1:]} == {
        "bam.use", "bam.risk", "bam.protective"}


# ---------------------------------------------------------------- query counts at two sizes
def _populate(track, therapist, n, today):
    for _ in range(n):
        p = PatientFactory(primary_site=track.program.site)
        ep = admit(p, track, admitted_on=today - timedelta(days=3))
        for values in ([3] * 9, [2] * 9, [1] * 9):
            services.enter_from_paper(episode=ep, instrument_key="phq9", window_key="", answers=phq9(values),
                                      actor=therapist)
        services.start_administration(episode=ep, instrument_key="gad7", mode="self_link")


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_report_query_count_independent_of_size(program, track, therapist, director, schedule, today):
    run = lambda: selectors.program_report(program=program, track=None, start=today - timedelta(days=60),  # noqa: E731
                                           end=today, organization=program.organization)
    _populate(track, therapist, 2, today)
    small = _count(run)
    _populate(track, therapist, 8, today)
    large = _count(run)
    assert small == large <= 5
    row = run().rows[0]
    assert row.summary.paired == 10 and row.summary.mean_change == -18.0 and row.summary.pct_reliably_improved == 100


def test_due_and_report_views_query_count(client_for, program, track, therapist, director, schedule, today):
    c_dir = client_for(director)
    c_fd = client_for(therapist)
    url = reverse("outcomes:report")
    params = {"program": str(program.public_id), "start": str(today - timedelta(days=60)), "end": str(today)}
    _populate(track, therapist, 2, today)
    c_dir.get(url, params), c_fd.get(reverse("outcomes:due"))  # warm the session and capability caches
    small = (_count(lambda: c_dir.get(url, params)), _count(lambda: c_fd.get(reverse("outcomes:due"))))
    _populate(track, therapist, 6, today)
    large = (_count(lambda: c_dir.get(url, params)), _count(lambda: c_fd.get(reverse("outcomes:due"))))
    assert small == large


def test_chart_query_count_independent_of_history(client_for, therapist, episode, complete_phq9, patient):
    url = reverse("outcomes:chart", args=[patient.public_id])
    c = client_for(therapist)
    complete_phq9([3] * 9)
    complete_phq9([2] * 9)
    c.get(url)  # warm the session and capability caches
    small = _count(lambda: c.get(url))
    for _ in range(6):
        complete_phq9([1] * 9)
    large = _count(lambda: c.get(url))
    assert small == large


# ---------------------------------------------------------------- escalation command
def test_escalation_command(episode, therapist, settings):
    settings.TRELLIS_OUTCOMES_ESCALATE_MINUTES = 0
    complete = services.enter_from_paper(episode=episode, instrument_key="phq9", window_key="",
                                         answers=phq9([0] * 8 + [1]), actor=therapist)
    assert complete.alert is not None
    out = StringIO()
    call_command("escalate_outcome_alerts", stdout=out)
    assert "Escalated 1 alert" in out.getvalue()
    assert CriticalAlert.objects.get().escalation_level == 1
