"""build_claims and import_835: files written and validated, refusals printed, non-zero exit on failure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from trellis.billing.models import Claim, ClaimBatch, ClaimStatus, Remittance
from trellis.billing.tests.conftest import MONDAY
from trellis.billing.x12.tests import samples
from trellis.billing.x12.validate import validate_x12
from trellis.billing.x12.writer import write_837p
from trellis.documentation.models import NoteStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _january() -> None:  # noqa: PT004
    """The commands use today's date (timely filing); the fixtures bill January 2026."""
    with time_machine.travel(dt.datetime(2026, 1, 20, 17, 0, tzinfo=dt.UTC), tick=False):
        yield


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_build_claims_writes_valid_files_and_prints_refusals(connected, tmp_path) -> None:
    world = connected
    good = world.patient(n=1)
    world.attend(good, MONDAY)
    bad = world.patient(n=2)
    world.attend(bad, MONDAY, start=dt.time(11, 0))
    world.auths.pop(bad.pk)  # no authorization on file
    unsigned = world.patient(n=3)
    world.attend(unsigned, MONDAY, note=NoteStatus.DRAFT, start=dt.time(13, 0))
    output = _run("build_claims", "--out", str(tmp_path), "--through", "2026-01-11")
    assert "Charges captured: 2; claims created: 2" in output
    assert "note not signed yet (unsigned)" in output
    refused = Claim.objects.get(episode=bad)
    assert f"REFUSED {refused.patient_control_number}:" in output and "[authorization]" in output
    assert "Claims scrubbed: 2; refused: 1; batched: 1 in 1 file(s)." in output
    (path,) = tmp_path.glob("*.x12")
    assert validate_x12(path.read_text()).valid
    assert Claim.objects.get(episode=good).status == ClaimStatus.BATCHED
    assert bad.patient.legal_last_name not in output  # no PHI in the output


def test_build_claims_without_a_coverage_source_scrubs_existing_claims(world, disconnected, tmp_path) -> None:
    output = _run("build_claims", "--out", str(tmp_path), "--through", "2026-01-11")
    assert "No coverage source is connected" in output and "batched: 0 in 0 file(s)" in output


def test_build_claims_fails_when_a_batch_cannot_be_built(connected, tmp_path) -> None:
    world = connected
    episode = world.patient()
    world.attend(episode, MONDAY)
    episode.patient.state = "ZZ"  # not a US state: only pyx12's code-value check catches it
    episode.patient.save()
    with pytest.raises(CommandError, match="failed X12 validation"):
        _run("build_claims", "--out", str(tmp_path), "--through", "2026-01-11")
    assert ClaimBatch.objects.count() == 0 and list(tmp_path.iterdir()) == []


def test_build_claims_rejects_a_bad_date(world, tmp_path) -> None:
    with pytest.raises(CommandError, match="--through must be a date"):
        _run("build_claims", "--out", str(tmp_path), "--through", "31/01/2026")


def test_import_835_posts_and_is_idempotent(world, tmp_path) -> None:
    path = tmp_path / "remit.835"
    path.write_text(samples.build_835(["LX*1", "CLP*TRNOPE*1*100*100**12*P1*11*1"], bpr_total="100"))
    output = _run("import_835", str(path))
    assert "Payments posted: 1" in output and "in suspense: 1" in output
    again = _run("import_835", str(path))
    assert "already posted" in again and Remittance.objects.count() == 1


def test_import_835_refuses_an_837(world, tmp_path) -> None:
    path = tmp_path / "claims.x12"
    path.write_text(write_837p(samples.interchange(samples.per_service_week())))
    with pytest.raises(CommandError, match="not an 835"):
        _run("import_835", str(path))
    assert Remittance.objects.count() == 0


@pytest.mark.parametrize(("content", "message"), [(b"\x89PNG\r\n", "not an X12 text file"),
                                                  (b"hello", "not an X12 file")])
def test_import_835_refuses_garbage(world, tmp_path, content: bytes, message: str) -> None:
    path = tmp_path / "x.835"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        _run("import_835", str(path))


def test_import_835_missing_file(world, tmp_path) -> None:
    with pytest.raises(CommandError, match="is not a file"):
        _run("import_835", str(tmp_path / "nope.835"))


def test_negative_payment_total_is_refused(world, tmp_path) -> None:
    path = tmp_path / "neg.835"
    path.write_text(samples.build_835(["LX*1", "CLP*TRX*22*-100*-100**12*P1*11*1"], bpr_total="-100"))
    with pytest.raises(CommandError, match="negative BPR02"):
        _run("import_835", str(path))
    assert Decimal(0) == sum(r.total_paid for r in Remittance.objects.all())
