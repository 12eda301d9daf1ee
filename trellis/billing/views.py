"""Billing pages: the biller's work queues, a claim, batch download/submission, scrub/build/appeal actions.
Thin: selectors read, services write; every view declares its capability."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.audit.models import AuditAction
from trellis.audit.services import record, record_list_read
from trellis.billing import lifecycle, policies, selectors, services
from trellis.billing.models import Claim, ClaimBatch, ClaimStatus
from trellis.billing.services.common import registered_authorization, registered_coverage
from trellis.billing.submission import FileDropSubmitter, SubmissionError
from trellis.core.access import get_scoped_or_404


@capability_required(Cap.BILLING_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    # Today's counters link here with ?full=1: the whole queue they count, not the first rows of it.
    full = request.GET.get("full") == "1"
    data = selectors.billing_home(request.user, today=timezone.localdate(),
                                  limit=selectors.FULL_QUEUE_LIMIT if full else 15)
    # The "to fix" queue names patients: one READ event naming every patient shown.
    record_list_read(view="billing_home", patients=[c.episode.patient for c in data.to_scrub])
    return render(request, "billing/home.html", {
        "home": data, "statuses": ClaimStatus.choices, "buckets": selectors.AGING_BUCKETS,
        "can_manage": policies.can_manage_billing(request.user),
    })


@capability_required(Cap.BILLING_VIEW)
def claim(request: HttpRequest, claim_id: str) -> HttpResponse:
    obj = get_scoped_or_404(
        request, Claim.objects.select_related("episode__patient", "episode__program__site", "batch", "replaces",
                                              "rendering_provider", "attending_provider"),
        claim_id, capability=Cap.BILLING_VIEW, audit_read=True,
    )
    return render(request, "billing/claim.html", {
        "claim": obj, **selectors.claim_detail(obj),
        "can_appeal": policies.can_manage_billing(request.user, obj.episode.program.site)
        and ClaimStatus.APPEALED in lifecycle.TRANSITIONS.get(obj.status, ()),
    })


@require_POST
@capability_required(Cap.BILLING_MANAGE)
def appeal(request: HttpRequest, claim_id: str) -> HttpResponse:
    obj = get_scoped_or_404(request, Claim, claim_id, capability=Cap.BILLING_MANAGE)
    try:
        services.appeal_claim(claim=obj, actor=request.user)
    except lifecycle.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Claim {obj.patient_control_number} is marked appealed.")
    return redirect("billing:claim", claim_id=obj.public_id)


@require_POST
@capability_required(Cap.BILLING_MANAGE)
def scrub(request: HttpRequest) -> HttpResponse:
    claims = list(selectors.claims_for(request.user, Cap.BILLING_MANAGE)
                  .filter(status__in=[ClaimStatus.DRAFT, ClaimStatus.SCRUBBED]))
    results = services.scrub_claims(claims=claims, today=timezone.localdate(), actor=request.user,
                                    coverage_for=registered_coverage(), authorization_for=registered_authorization())
    held = sum(1 for problems in results.values() if problems)
    messages.success(request, f"Scrubbed {len(results)} claims: {len(results) - held} ready, {held} need a fix.")
    return redirect("billing:home")


@require_POST
@capability_required(Cap.BILLING_MANAGE)
def build(request: HttpRequest) -> HttpResponse:
    ready = list(selectors.claims_for(request.user, Cap.BILLING_MANAGE).filter(status=ClaimStatus.SCRUBBED))
    if not ready:
        messages.error(request, "No scrubbed claims to batch: scrub the drafts first.")
        return redirect("billing:home")
    try:
        batches = services.build_batches(organization=request.user.organization, claims=ready, actor=request.user)
    except services.BatchRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Built {len(batches)} X12 file(s) with {sum(b.claim_count for b in batches)} "
                                  "claims, each validated by pyx12.")
    return redirect("billing:home")


@capability_required(Cap.BILLING_MANAGE)
def download(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = get_scoped_or_404(request, ClaimBatch, batch_id, capability=Cap.BILLING_MANAGE)
    record(action=AuditAction.EXPORT, obj=batch, site=batch.site, detail={"claims": batch.claim_count})
    response = HttpResponse(batch.content, content_type="application/edi-x12")
    response["Content-Disposition"] = f'attachment; filename="{batch.filename}"'
    return response


@require_POST
@capability_required(Cap.BILLING_MANAGE)
def submit(request: HttpRequest, batch_id: str) -> HttpResponse:
    batch = get_scoped_or_404(request, ClaimBatch, batch_id, capability=Cap.BILLING_MANAGE)
    try:
        services.submit_batch(batch=batch, submitter=FileDropSubmitter(settings.TRELLIS_CLAIMS_DROP_DIR),
                              actor=request.user)
    except (SubmissionError, OSError) as exc:
        messages.error(request, f"The file could not be dropped for the clearinghouse: {exc}")
    else:
        messages.success(request, f"Batch {batch.interchange_control_number:09d} is submitted.")
    return redirect("billing:home")
