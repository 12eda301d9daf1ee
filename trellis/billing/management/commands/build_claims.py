"""python manage.py build_claims --out DIR [--through DATE] [--submit]

Captures charges and makes claims when a coverage source is connected, scrubs every draft claim, prints each
refused claim with what to fix, and writes the ready claims as X12 837P/837I files into DIR (each file
validated by pyx12 first). Exit status 1 when a batch cannot be built or validated (nothing is stored then).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.utils import timezone

from trellis.billing import services
from trellis.billing.models import Claim, ClaimStatus
from trellis.billing.services.common import (
    registered_authorization,
    registered_coverage,
    registered_secondary,
)
from trellis.billing.services.secondary import COB_STATUSES
from trellis.billing.submission import FileDropSubmitter

from ._common import organization_from


class Command(BaseCommand):
    help = "Scrub claims and write the ready ones as X12 837 batch files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, help="Directory for the X12 files.")
        parser.add_argument("--through", help="Last date of service to bill (YYYY-MM-DD); default today.")
        parser.add_argument("--organization", help="Organization public id (when there are several).")
        parser.add_argument("--submit", action="store_true",
                            help="Also submit the batches by file drop to TRELLIS_CLAIMS_DROP_DIR.")

    def handle(self, *args: object, **opts: object) -> None:
        try:
            through = dt.date.fromisoformat(str(opts["through"])) if opts["through"] else timezone.localdate()
        except ValueError as exc:
            raise CommandError("--through must be a date like 2026-01-31.") from exc
        out = Path(str(opts["out"]))
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"Cannot create {out}: {exc.strerror}.") from exc
        org = organization_from(opts.get("organization"))  # type: ignore[arg-type]
        coverage_for, authorization_for = registered_coverage(), registered_authorization()
        if coverage_for is None:
            self.stdout.write("No coverage source is connected: new charges are not claimed; existing draft "
                              "claims are scrubbed with the coverage recorded on them.")
        else:
            captured = services.capture_charges(organization=org, through=through, coverage_for=coverage_for)
            created, left = services.create_claims(organization=org, coverage_for=coverage_for,
                                                   authorization_for=authorization_for, through=through)
            self.stdout.write(f"Charges captured: {len(captured.created)}; claims created: {len(created)}")
            for reason in captured.skipped + left:
                self.stdout.write(f"  not charged: {reason}")
            secondary_for = registered_secondary()
            if secondary_for is not None:
                # Coordination of benefits: primary claims adjudicated with something left for the secondary.
                primaries = Claim.objects.filter(
                    Q(patient_responsibility__gt=0) | Q(status=ClaimStatus.DENIED), episode__program__organization=org,
                    payer_sequence="P", status__in=COB_STATUSES, secondary_claims__isnull=True)
                made, _ = services.create_secondary_claims(claims=list(primaries), secondary_for=secondary_for)
                self.stdout.write(f"Secondary claims created: {len(made)}")
        candidates = list(Claim.objects.filter(
            episode__program__organization=org, status__in=[ClaimStatus.DRAFT, ClaimStatus.SCRUBBED],
            statement_from__lte=through,
        ))
        results = services.scrub_claims(claims=candidates, today=timezone.localdate(),
                                        coverage_for=coverage_for, authorization_for=authorization_for)
        refused = {pk: problems for pk, problems in results.items() if problems}
        pcn = {c.pk: c.patient_control_number for c in candidates}
        for pk, problems in refused.items():
            self.stdout.write(f"REFUSED {pcn[pk]}:")
            for problem in problems:
                self.stdout.write(f"  - [{problem.rule}] {problem}")
        ready = [c for c in candidates if c.pk in results and c.pk not in refused]
        try:
            batches = services.build_batches(organization=org, claims=ready)
        except services.BatchRefused as exc:
            for error in exc.errors[:50]:
                self.stderr.write(f"  {error}")
            raise CommandError(str(exc)) from exc
        for batch in batches:
            path = out / batch.filename
            path.write_text(batch.content, encoding="ascii")
            self.stdout.write(f"Wrote {path} ({batch.claim_count} claims, {batch.total_charge})")
            if opts["submit"]:
                services.submit_batch(batch=batch, submitter=FileDropSubmitter(settings.TRELLIS_CLAIMS_DROP_DIR))
                self.stdout.write(f"  submitted by file drop: {batch.submission_reference or batch.filename}")
        self.stdout.write(f"Claims scrubbed: {len(results)}; refused: {len(refused)}; batched: "
                          f"{sum(b.claim_count for b in batches)} in {len(batches)} file(s).")
