"""The demo seeder writes verifiable notes: signed, late, drafts, missing, awaiting co-signature, addenda."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from trellis.core.demo import DemoContext
from trellis.documentation import demo, selectors, services
from trellis.documentation.models import Note, NoteStatus

pytestmark = pytest.mark.django_db


def test_demo_seed_is_verifiable_and_varied(org, make_group, supervised):
    for day in range(10):
        make_group(attended=3, absent=1, day=dt.date(2026, 10, 1) + dt.timedelta(days=day))
    for day in range(4):
        make_group(attended=2, by=supervised, day=dt.date(2026, 10, 20) + dt.timedelta(days=day))
    ctx = DemoContext(rng=random.Random(7), today=dt.date(2026, 11, 23), weeks=2, n_patients=50, org=org)
    demo.seed(ctx)
    counts = ctx.extra["documentation_counts"]
    assert counts.get("signed", 0) > 0
    notes = list(Note.objects.exclude(status=NoteStatus.DRAFT))
    assert notes and all(services.verify_note(note=n).ok for n in notes)
    assert Note.objects.filter(author=supervised).exclude(status=NoteStatus.DRAFT).exists()
    assert all(n.cosigner_id for n in Note.objects.filter(status=NoteStatus.AWAITING_COSIGN))
    assert all(n.participants.count() for n in Note.objects.all())
    assert selectors.worklist(user=supervised).awaiting_cosign or counts.get("cosigned")
