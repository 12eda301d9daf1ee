"""The episode-of-care demo covers what issue 4 asks for: referrals in every state, intakes with diagnoses,
plans with reviews (some overdue), discharges of each type, one step-down."""

from __future__ import annotations

import random
from datetime import date

import pytest

from trellis.careplans.models import CareDeadline, PlanReview, PlanStatus, TreatmentPlan
from trellis.consents.models import Disclosure
from trellis.core import demo
from trellis.episodes.models import Diagnosis, DischargeRecord, DischargeType, Episode, HandoffTask
from trellis.referrals.models import IntakeAssessment, Referral, ReferralStatus

pytestmark = pytest.mark.django_db


def test_episode_demo(time_machine):
    time_machine.move_to("2026-11-23 15:00:00+00:00", tick=False)
    ctx = demo.DemoContext(rng=random.Random(11), today=date(2026, 11, 23), weeks=3, n_patients=60)
    demo.run(ctx, only=["accounts", "patients", "programs", "episodes", "referrals", "consents", "scheduling", "attendance",
                        "careplans"])
    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert IntakeAssessment.objects.filter(status="completed").exists()
    assert Diagnosis.objects.filter(rank="primary").count() >= IntakeAssessment.objects.count()
    assert PlanReview.objects.exists()
    assert TreatmentPlan.objects.filter(status=PlanStatus.SUPERSEDED).exists()
    assert CareDeadline.objects.filter(met_on__isnull=True, cancelled=False, due_on__lt=date(2026, 11, 23)).exists()
    assert set(Episode.objects.exclude(discharge_type="").values_list("discharge_type", flat=True)) == set(
        DischargeType.values)
    assert DischargeRecord.objects.count() == Episode.objects.filter(status="discharged").count()
    assert HandoffTask.objects.count() == 1
    assert Episode.objects.filter(previous_episode__isnull=False).count() == 1
    assert Disclosure.objects.exists()
