"""Coverage forms: parse input only. The rules (overlaps, dates against the episode, units) are the services';
their refusals come back onto the form with `apply_domain_error`."""

from __future__ import annotations

from typing import Any

from django import forms

from trellis.core import formats
from trellis.core.forms import DATE
from trellis.coverage.models import (
    ClaimFilingIndicator,
    ClaimForm,
    CoverageOrder,
    EligibilityStatus,
    Payer,
    PayerType,
    Relationship,
    ReviewOutcome,
    SubscriberSex,
    UnitKind,
)
from trellis.episodes.models import Episode
from trellis.programs.models import LevelOfCare


class PayerForm(forms.Form):
    name = forms.CharField(max_length=120)
    payer_identifier = forms.CharField(max_length=80, label="Payer id",
                                       help_text="As on the clearinghouse's payer list (837 NM1*PR). Self-pay: SELFPAY.")
    payer_type = forms.ChoiceField(choices=PayerType.choices)
    claim_form = forms.ChoiceField(choices=ClaimForm.choices)
    claim_filing_indicator = forms.ChoiceField(choices=ClaimFilingIndicator.choices,
                                               label="Claim filing indicator (837 SBR09)")
    timely_filing_days = forms.IntegerField(min_value=1, max_value=3650, label="Timely filing (days)",
                                            help_text="From the payer contract. Medicare: 365 (42 CFR 424.44).")
    timely_filing_source = forms.CharField(max_length=200, required=False, label="Source of the limit",
                                           help_text="Contract section or provider-manual page.")
    requires_authorization = forms.BooleanField(required=False, initial=True)
    phone = forms.CharField(max_length=20, required=False, label="Utilization review phone")
    active = forms.BooleanField(required=False, initial=True)


class CoverageForm(forms.Form):
    payer = forms.ModelChoiceField(queryset=Payer.objects.none())
    order = forms.ChoiceField(choices=CoverageOrder.choices, initial=CoverageOrder.PRIMARY)
    member_id = forms.CharField(max_length=80, required=False, label="Member id")
    group_number = forms.CharField(max_length=50, required=False)
    group_name = forms.CharField(max_length=120, required=False)
    effective_from = forms.DateField(widget=DATE, label="Coverage starts")
    effective_to = forms.DateField(widget=DATE, required=False, label="Coverage ends",
                                   help_text="Leave blank while the coverage is open-ended.")
    relationship = forms.ChoiceField(choices=Relationship.choices, initial=Relationship.SELF,
                                     label="Patient's relationship to the subscriber")
    subscriber_first_name = forms.CharField(max_length=80, required=False)
    subscriber_last_name = forms.CharField(max_length=80, required=False)
    subscriber_birth_date = forms.DateField(widget=DATE, required=False, label="Subscriber's date of birth")
    subscriber_sex = forms.ChoiceField(choices=[("", "—"), *SubscriberSex.choices], required=False)
    subscriber_address_line1 = forms.CharField(max_length=200, required=False, label="Subscriber's address")
    subscriber_city = forms.CharField(max_length=100, required=False)
    subscriber_state = forms.CharField(max_length=2, required=False)
    subscriber_postal_code = forms.CharField(max_length=10, required=False)
    eligibility_status = forms.ChoiceField(choices=EligibilityStatus.choices, initial=EligibilityStatus.NOT_CHECKED)
    eligibility_checked_on = forms.DateField(widget=DATE, required=False, label="Eligibility checked on")
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, payers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers

    def coverage_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class AuthorizationForm(forms.Form):
    coverage = forms.ModelChoiceField(queryset=None)
    episode = forms.ModelChoiceField(queryset=Episode.objects.none())
    number = forms.CharField(max_length=50, label="Authorization number")
    level_of_care = forms.ChoiceField(choices=LevelOfCare.choices, label="Authorized level of care")
    service_codes = forms.CharField(max_length=200, required=False, label="Service codes",
                                    help_text="HCPCS/CPT, comma-separated (e.g. S9480). Blank: any code of the level.")
    unit_kind = forms.ChoiceField(choices=UnitKind.choices, label="Authorized in")
    units_authorized = forms.IntegerField(min_value=1, max_value=10000, label="Days or units authorized")
    start_on = forms.DateField(widget=DATE, label="First authorized day")
    end_on = forms.DateField(widget=DATE, label="Last authorized day")
    review_frequency_days = forms.IntegerField(min_value=1, max_value=365, required=False,
                                               label="Concurrent review every (days)",
                                               help_text="Often 5-7. Blank: no concurrent review.")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, coverages: Any, episodes: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coverage"].queryset = coverages
        self.fields["coverage"].label_from_instance = lambda c: f"{c.payer.name} ({c.get_order_display()})"
        self.fields["episode"].queryset = episodes
        self.fields["episode"].label_from_instance = (
            lambda e: f"{e.program.name}, admitted {formats.date(e.admitted_on)} ({e.get_status_display()})")
        if editing:  # an authorization stays on its coverage and episode; a new payer means a new authorization
            for name in ("coverage", "episode"):
                self.fields[name].required = False
                self.fields[name].disabled = True

    def authorization_data(self) -> dict[str, Any]:
        keys = ("number", "level_of_care", "service_codes", "unit_kind", "units_authorized", "start_on", "end_on",
                "review_frequency_days", "notes")
        return {k: self.cleaned_data.get(k) for k in keys}


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices)
    approved_days = forms.IntegerField(min_value=1, max_value=365, required=False, label="More days approved",
                                       help_text="Required when approved: the authorization is extended by this many days.")
    reviewed_on = forms.DateField(widget=DATE, required=False, label="Date of the review")
    reviewer = forms.CharField(max_length=120, required=False, label="Payer reviewer")
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                            help_text="What the reviewer asked and decided. No more clinical detail than the review needed.")


class ScheduleReviewForm(forms.Form):
    due_on = forms.DateField(widget=DATE, label="Review due on")
