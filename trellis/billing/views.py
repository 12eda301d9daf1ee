"""Billing pages: the biller's work queues, a claim, batch download/submission, scrub/build/appeal actions.
Thin: selectors read, services write; every view declares its capability."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.accounts.sites import in_view, site_in_view
from trellis.audit.models import AuditAction
from trellis.audit.services import record, record_list_read
from trellis.billing import catalog, lifecycle, policies, selectors, services
from trellis.billing.forms import (
    CorrectionForm,
    EndFeeForm,
    FeeEntryForm,
    HoldForm,
    RemittanceUploadForm,
    SuspenseMatchForm,
    SuspenseSearchForm,
)
from trellis.billing.models import (
    PER_DIEM_SERVICE,
    BillingMode,
    BillingProfile,
    Charge,
    Claim,
    ClaimBatch,
    ClaimStatus,
    FeeScheduleEntry,
    SuspenseItem,
)
from trellis.billing.services.charges import ChargeError
from trellis.billing.services.common import registered_authorization, registered_coverage
from trellis.billing.services.remittances import MatchRefused, match_problems, payment_from_json
from trellis.billing.submission import FileDropSubmitter, SubmissionError
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.core.formats import date as fmt_date
from trellis.core.forms import apply_domain_error
from trellis.core.svgchart import BarChart, BarItem


def _page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """Render a page with the billing sub-navigation (each tab shown only to who may open it)."""
    user = request.user
    context["billing_nav"] = {"view": policies.can_view_billing(user), "manage": policies.can_manage_billing(user),
                              "insight": policies.can_read_billing_insight(user)}
    return render(request, template, context)


@capability_required(Cap.BILLING_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    # Today's counters link here with ?full=1: the whole queue they count, not the first rows of it.
    full = request.GET.get("full") == "1"
    # The working site (or "All my sites"), as Today's counters count it (selectors.sites_in_view).
    site, sites = site_in_view(request, Cap.BILLING_VIEW)
    data = selectors.billing_home(request.user, today=timezone.localdate(),
                                  limit=selectors.FULL_QUEUE_LIMIT if full else 15, sites=in_view(sites, site))
    # The "to fix" queue names patients: one READ event naming every patient shown.
    record_list_read(view="billing_home", patients=[c.episode.patient for c in data.to_scrub])
    return _page(request, "billing/home.html", {
        "home": data, "statuses": ClaimStatus.choices, "buckets": selectors.AGING_BUCKETS,
        "can_manage": policies.can_manage_billing(request.user), "site": site,
    })


@capability_required(Cap.BILLING_VIEW)
def claim(request: HttpRequest, claim_id: str) -> HttpResponse:
    obj = get_scoped_or_404(
        request, Claim.objects.select_related("episode__patient", "episode__program__site", "batch", "replaces",
                                              "rendering_provider", "attending_provider", "primary_claim"),
        claim_id, capability=Cap.BILLING_VIEW, audit_read=True,
    )
    return render(request, "billing/claim.html", {
        "claim": obj, **selectors.claim_detail(obj),
        "can_appeal": policies.can_manage_billing(request.user, obj.episode.program.site)
        and ClaimStatus.APPEALED in lifecycle.TRANSITIONS.get(obj.status, ()),
        "can_correct": policies.can_manage_billing(request.user, obj.episode.program.site)
        and obj.status != ClaimStatus.VOID,
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


# ---------------------------------------------------------------------------------------------------------
# Fee schedules (billing.insight reads: no patient data; billing.manage changes)
# ---------------------------------------------------------------------------------------------------------
def _profile_or_404(request: HttpRequest, profile_id: str, capability: str) -> BillingProfile:
    profile = selectors.profiles_for(request.user, capability).filter(public_id=profile_id).first()
    if profile is None:
        raise Http404("Not found")
    return profile


@capability_required(Cap.BILLING_INSIGHT)
def fees(request: HttpRequest) -> HttpResponse:
    return _page(request, "billing/fees.html", {
        "profiles": selectors.profiles_with_fees(request.user), "today": timezone.localdate(),
        "can_manage": policies.can_manage_billing(request.user),
    })


@capability_required(Cap.BILLING_MANAGE)
def fee_add(request: HttpRequest, profile_id: str) -> HttpResponse:
    profile = _profile_or_404(request, profile_id, Cap.BILLING_MANAGE)
    form = FeeEntryForm(request.POST or None, initial={"service_type": PER_DIEM_SERVICE} if
                        profile.billing_mode == BillingMode.PER_DIEM else None)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.add_fee_entry(profile=profile, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"{entry.code} at ${entry.rate} from {fmt_date(entry.effective_from)} is added "
                                      f"to {profile.payer_name}.")
            return redirect(f"{reverse('billing:fees')}#p-{profile.public_id}")
    return render(request, "billing/fee_form.html", {"profile": profile, "form": form,
                                                     "codes": _catalog_codes(profile)})


def _catalog_codes(profile: BillingProfile) -> list[Any]:
    kind = "hcpcs" if profile.billing_mode == BillingMode.PER_DIEM else "cpt"
    return [c for c in catalog.CODES.values() if c.kind == kind]


@capability_required(Cap.BILLING_MANAGE)
def fee_end(request: HttpRequest, entry_id: str) -> HttpResponse:
    entry = FeeScheduleEntry.objects.filter(
        public_id=entry_id, profile__in=selectors.profiles_for(request.user, Cap.BILLING_MANAGE)
    ).select_related("profile").first()
    if entry is None:
        raise Http404("Not found")
    form = EndFeeForm(request.POST or None, initial={"effective_to": entry.effective_to or timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.end_fee_entry(entry=entry, effective_to=form.cleaned_data["effective_to"], actor=request.user)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, f"{entry.code} for {entry.profile.payer_name} now ends on "
                                      f"{fmt_date(form.cleaned_data['effective_to'])}.")
            return redirect(f"{reverse('billing:fees')}#p-{entry.profile.public_id}")
    return render(request, "billing/fee_end.html", {"entry": entry, "form": form})


# ---------------------------------------------------------------------------------------------------------
# Charge review (patient data: billing.view reads, billing.manage holds/releases)
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.BILLING_VIEW)
def charges(request: HttpRequest) -> HttpResponse:
    site, sites = site_in_view(request, Cap.BILLING_VIEW)
    review = selectors.charges_to_review(request.user, sites=in_view(sites, site))
    record_list_read(view="billing_charge_review", patients=[c.episode.patient for c in review.charges])
    return _page(request, "billing/charges.html", {
        "review": review, "hold_form": HoldForm(), "can_manage": policies.can_manage_billing(request.user),
        "site": site,
    })


@require_POST
@capability_required(Cap.BILLING_MANAGE)
def charge_hold(request: HttpRequest, charge_id: str) -> HttpResponse:
    charge = get_scoped_or_404(request, Charge.objects.select_related("episode__patient"), charge_id,
                               capability=Cap.BILLING_MANAGE)
    form = HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the charge is held (e.g. waiting for the authorization).")
    else:
        try:
            services.hold_charge(charge=charge, reason=form.cleaned_data["reason"], actor=request.user)
        except ChargeError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"The {charge.code} charge of {fmt_date(charge.service_date)} is held.")
    return redirect("billing:charges")


@require_POST
@capability_required(Cap.BILLING_MANAGE)
def charge_release(request: HttpRequest, charge_id: str) -> HttpResponse:
    charge = get_scoped_or_404(request, Charge.objects.select_related("episode__patient"), charge_id,
                               capability=Cap.BILLING_MANAGE)
    try:
        services.release_charge(charge=charge, actor=request.user)
    except ChargeError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The {charge.code} charge of {fmt_date(charge.service_date)} is released.")
    return redirect("billing:charges")


@capability_required(Cap.BILLING_MANAGE)
def charge_correct(request: HttpRequest, charge_id: str) -> HttpResponse:
    """Correct a charge's code, modifiers, units or amount, with the reason (audited). The page says first what
    saving does: in place, a rebuilt unsent claim, a replacement claim (frequency 7) - or why not now."""
    charge = get_scoped_or_404(
        request, Charge.objects.select_related("episode__patient", "episode__program", "profile", "rendering_provider",
                                               "replaces"),
        charge_id, capability=Cap.BILLING_MANAGE, audit_read=request.method == "GET",
    )
    plan = selectors.correction_plan(charge)
    initial = {"code": charge.code, "modifiers": charge.modifiers.replace(",", ", "), "units": charge.units,
               "amount": charge.amount}
    form = CorrectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            corrected = services.correct_charge(charge=charge, actor=request.user, code=data["code"],
                                                units=data["units"], amount=data["amount"],
                                                modifiers=data["modifiers"], reason=data["reason"])
        except (ChargeError, services.ClaimError) as exc:
            form.add_error(None, str(exc))
        else:
            claim = getattr(corrected, "claim_after", None)
            if claim is not None and claim.frequency_code == "7":
                messages.success(request, f"Corrected. Replacement claim {claim.patient_control_number} (frequency 7, "
                                          f"payer claim {claim.payer_claim_number}) is drafted: scrub and send it.")
                return redirect("billing:claim", claim_id=claim.public_id)
            if claim is not None:
                messages.success(request, f"Corrected. Claim {claim.patient_control_number} is rebuilt and goes back "
                                          "to the scrubber.")
                return redirect("billing:claim", claim_id=claim.public_id)
            messages.success(request, f"The charge of {fmt_date(charge.service_date)} is corrected.")
            return redirect("billing:charges")
    return render(request, "billing/charge_correct.html", {
        "charge": charge, "form": form, "plan": plan,
        "rates": selectors.rates_on(charge.profile, charge.service_date),
    })


# ---------------------------------------------------------------------------------------------------------
# Suspense: match an unmatched claim payment to a claim by hand
# ---------------------------------------------------------------------------------------------------------
def _suspense_item(request: HttpRequest, item_id: str) -> SuspenseItem:
    return get_scoped_or_404(
        request, SuspenseItem.objects.select_related("remittance__site", "remittance_claim__claim", "resolved_by"),
        item_id, capability=Cap.BILLING_MANAGE,
    )


@capability_required(Cap.BILLING_MANAGE)
def suspense_item(request: HttpRequest, item_id: str) -> HttpResponse:
    item = _suspense_item(request, item_id)
    row = item.remittance_claim
    clp = payment_from_json(item.payment, row)
    search = SuspenseSearchForm(request.GET or {"q": row.payer_claim_number or row.patient_control_number})
    query = search.cleaned_data["q"] if search.is_valid() else ""
    candidates = [] if item.resolved_at else selectors.claim_candidates(request.user, query)
    posted = selectors.claims_paid_by(item.remittance, candidates)
    for claim in candidates:
        claim.problems = match_problems(item, claim, clp, posted)
    record_list_read(view="billing_suspense_match", patients=[c.episode.patient for c in candidates])
    return _page(request, "billing/suspense_item.html", {
        "item": item, "row": row, "payment": clp, "search": search, "query": query, "candidates": candidates,
        "min_search": selectors.MIN_SEARCH,
    })


@require_POST
@capability_required(Cap.BILLING_MANAGE)
def suspense_match(request: HttpRequest, item_id: str) -> HttpResponse:
    item = _suspense_item(request, item_id)
    back = reverse("billing:suspense_item", kwargs={"item_id": item.public_id})
    form = SuspenseMatchForm(request.POST)
    claim = None
    if form.is_valid():
        claim = (Claim.objects.restrict(request.user, Cap.BILLING_MANAGE)
                 .filter(public_id=form.cleaned_data["claim"]).first())
    if claim is None:
        messages.error(request, "Choose one of the claims found: that claim is not one you bill for.")
        return redirect(back)
    try:
        services.match_suspense(item=item, claim=claim, actor=request.user)
    except MatchRefused as exc:
        messages.error(request, f"Not posted: {exc}")
        query = request.POST.get("q", "")
        return redirect(f"{back}?{urlencode({'q': query})}" if query else back)
    messages.success(request, f"The payment is posted to claim {claim.patient_control_number}, as the import would "
                              "have posted it.")
    return redirect("billing:claim", claim_id=claim.public_id)


# ---------------------------------------------------------------------------------------------------------
# Remittance (835) upload
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.BILLING_MANAGE)
def remittance_upload(request: HttpRequest) -> HttpResponse:
    form = RemittanceUploadForm(request.POST or None, request.FILES or None)
    summary = None
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"]
        digest = hashlib.sha256(content.encode("ascii")).hexdigest()
        try:
            summary = services.import_remittance(content=content, organization=request.user.organization,
                                                 actor=request.user,
                                                 sites=sites_with(request.user, Cap.BILLING_MANAGE))
        except services.RemittanceRefused as exc:
            # The refusal is audited with the file's digest (never its content: it names patients).
            record(action=AuditAction.CREATE, object_type="billing.remittance_file", object_id=digest,
                   outcome="failure", detail={"refused": str(exc)[:300]}, request=request)
            form.add_error("file", f"Nothing was posted: {exc}")
        else:
            record(action=AuditAction.CREATE, object_type="billing.remittance_file", object_id=digest,
                   detail={"posted": summary.payments_posted, "already_posted": summary.payments_already_posted,
                           "matched": summary.claims_matched, "suspense": summary.claims_in_suspense},
                   request=request)
            if summary.payments_posted:
                messages.success(request, "The remittance is posted.")
            else:
                messages.info(request, "Nothing new: this remittance was already posted.")
    return _page(request, "billing/remittance_upload.html", {
        "form": form, "summary": summary,
        "recent": list(selectors.remittances_for(request.user).order_by("-posted_at")[:10]),
    })


# ---------------------------------------------------------------------------------------------------------
# KPIs (billing.insight: aggregates, no patient data)
# ---------------------------------------------------------------------------------------------------------
def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@capability_required(Cap.BILLING_INSIGHT)
def kpi_days_in_ar(request: HttpRequest) -> HttpResponse:
    data = selectors.days_in_ar(request.user, today=timezone.localdate())
    chart = BarChart(
        title="Days in A/R at each month end",
        description="Outstanding insurance A/R divided by average daily charges over the previous 90 days, "
                    f"for the last {len(data.months)} months.",
        items=[BarItem(f"{m.month:%b %Y}", _num(m.days), f"{m.days} days" if m.days is not None else "")
               for m in data.months],
        value_label="Days in A/R", category_label="Month end", chart_id="days-in-ar",
    )
    return _page(request, "billing/kpi_ar.html", {"data": data, "chart": chart,
                                                   "window": selectors.AR_AVERAGE_DAYS})


@capability_required(Cap.BILLING_INSIGHT)
def kpi_denials(request: HttpRequest) -> HttpResponse:
    data = selectors.denial_rate(request.user, today=timezone.localdate())
    chart = BarChart(
        title="Remittance denial rate by month",
        description=f"Claims denied on remittances as a percentage of claims on remittances, for the last "
                    f"{len(data.months)} months.",
        items=[BarItem(row.label, _num(row.rate), f"{row.rate}%" if row.rate is not None else "")
               for row in data.months],
        value_label="Denial rate", category_label="Month posted", chart_id="denial-rate",
    )
    return _page(request, "billing/kpi_denials.html", {"data": data, "chart": chart})
