"""Benchmark: building a 5,000-claim batch through the billing service (database reads + X12 writer + stored
batch) vs pyx12 validating the same file.

    python bench/claims_batch_db.py [--claims 5000] [--lines 4]

Scratch SQLite database in a temporary data folder (or DATABASE_URL). The claims are bulk-inserted as
scrubbed; `build_batches(validate=False)` is timed, then `validate_x12` on the stored file.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DATABASE_URL"):
    os.environ["TRELLIS_DATA_DIR"] = tempfile.mkdtemp(prefix="trellis-bench-billing-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "trellis.config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from trellis.accounts.models import Organization, Site, SiteMembership, StaffProfile, User  # noqa: E402
from trellis.billing.models import (  # noqa: E402
    BillingMode,
    BillingProfile,
    Charge,
    ChargeStatus,
    Claim,
    ClaimLine,
    ClaimStatus,
    ClaimType,
)
from trellis.billing.services import build_batches  # noqa: E402
from trellis.billing.x12.validate import validate_x12  # noqa: E402
from trellis.patients.models import Patient  # noqa: E402
from trellis.programs.models import Episode, Program, Track  # noqa: E402


def seed(n: int, lines: int) -> Organization:
    org = Organization.objects.create(name="Bench Behavioral Health")
    site = Site.objects.create(organization=org, name="Main", code="MAIN", address_line1="1 Main St", city="Albany",
                               state="NY", postal_code="12203-1701", phone="(518) 555-0142", npi="1234567893",
                               tax_id="14-1234567", display_name="Main")
    program = Program.objects.create(organization=org, site=site, name="IOP", level_of_care="iop")
    track = Track.objects.create(program=program, name="General")
    therapist = User.objects.create(email="t@bench.example", full_name="Priya Natarajan", organization=org)
    SiteMembership.objects.create(user=therapist, site=site, role="therapist")
    StaffProfile.objects.create(user=therapist, npi="1245319599")
    profile = BillingProfile.objects.create(
        organization=org, payer_identifier="ACME1", payer_name="Acme Health Plan", level_of_care="iop",
        billing_mode=BillingMode.PER_SERVICE, claim_type=ClaimType.PROFESSIONAL, source="bench", confirmed=True)
    patients = Patient.objects.bulk_create([
        Patient(organization=org, mrn=f"{100000 + i}", legal_first_name=f"Pat{i}", legal_last_name=f"Bench{i % 997}",
                date_of_birth=date(1980, 1, 1) + timedelta(days=i % 9000), sex_at_birth="F", primary_site=site,
                address_line1="12 Elm St", city="Albany", state="NY", postal_code="12203",
                search_first=f"pat{i}", search_last=f"bench{i % 997}")
        for i in range(n)
    ], batch_size=1000)
    monday = date(2026, 1, 5)
    episodes = Episode.objects.bulk_create([
        Episode(patient=p, program=program, track=track, admitted_on=monday - timedelta(days=7), recommended_level="iop")
        for p in patients
    ], batch_size=1000)
    charges = Charge.objects.bulk_create([
        Charge(episode=e, profile=profile, service_date=monday + timedelta(days=k), code="90853", units=Decimal("1"),
               minutes=90, amount=Decimal("120"), documentation="complete", rendering_provider=therapist,
               status=ChargeStatus.CLAIMED)
        for e in episodes for k in range(lines)
    ], batch_size=2000)
    claims = Claim.objects.bulk_create([
        Claim(episode=e, profile=profile, claim_type=ClaimType.PROFESSIONAL, patient_control_number=f"TR{i:012d}",
              status=ClaimStatus.SCRUBBED, payer_identifier="ACME1", payer_name="Acme Health Plan", member_id=f"M{i}",
              diagnosis_codes=["F33.1", "F41.1"], place_of_service="11", statement_from=monday,
              statement_to=monday + timedelta(days=lines - 1), total_charge=Decimal("120") * lines,
              rendering_provider=therapist, authorization={"number": f"PA{i}", "start": "2026-01-01",
                                                            "end": "2026-03-31", "units_authorized": 60})
        for i, e in enumerate(episodes)
    ], batch_size=1000)
    ClaimLine.objects.bulk_create([
        ClaimLine(claim=c, charge=charges[i * lines + k], number=k + 1, code="90853", units=Decimal("1"),
                  amount=Decimal("120"), service_date=monday + timedelta(days=k), diagnosis_pointers=[1, 2],
                  line_control_number=f"{c.patient_control_number}-{k + 1}")
        for i, c in enumerate(claims) for k in range(lines)
    ], batch_size=2000)
    return org


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=4)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    org = seed(args.claims, args.lines)
    claims = list(Claim.objects.filter(status=ClaimStatus.SCRUBBED))
    started, cpu = time.perf_counter(), time.process_time()
    (batch,) = build_batches(organization=org, claims=claims, validate=False)
    build_wall, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    result = validate_x12(batch.content)
    val_wall, val_cpu = time.perf_counter() - started, time.process_time() - cpu
    if not result.valid:
        raise SystemExit(f"pyx12 rejected the batch: {result.errors[:5]}")
    print(f"database: {django.db.connection.vendor}; claims: {batch.claim_count} x {args.lines} lines; "
          f"{batch.content.count('~')} segments")
    print(f"build_batches (read claims, write 837P, store batch, lock attendance): {build_wall:.2f} s wall, "
          f"{build_cpu:.2f} s CPU")
    print(f"pyx12 validate: {val_wall:.2f} s wall, {val_cpu:.2f} s CPU")
    print(f"ratio validate/build: {val_wall / build_wall:.1f}x wall, {val_cpu / build_cpu:.1f}x CPU")


if __name__ == "__main__":
    main()
