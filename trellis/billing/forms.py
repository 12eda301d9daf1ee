"""Billing forms: a fee schedule row, an end date, a hold reason, an 835 upload. Each refusal says what to fix."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from trellis.billing.models import PER_DIEM_SERVICE
from trellis.core.forms import DATE
from trellis.programs.models import ServiceType

MAX_835_BYTES = 50 * 1024 * 1024  # as import_835: a larger remittance is split by the payer

SERVICE_TYPES = [(PER_DIEM_SERVICE, "Per diem"), *ServiceType.choices]


class FeeEntryForm(forms.Form):
    service_type = forms.ChoiceField(label="Service", choices=SERVICE_TYPES)
    code = forms.CharField(label="Procedure code (HCPCS/CPT)", max_length=5,
                           help_text="e.g. S9480 per diem, 90853 group psychotherapy.")
    revenue_code = forms.CharField(label="Revenue code", max_length=4, required=False,
                                   help_text="837I profiles: e.g. 0905 psychiatric IOP, 0912 PHP.")
    rate = forms.DecimalField(label="Rate ($)", max_digits=10, decimal_places=2, min_value=Decimal("0.01"))
    effective_from = forms.DateField(label="Effective from", widget=DATE)
    effective_to = forms.DateField(label="Effective to (optional)", widget=DATE, required=False)
    source = forms.CharField(label="Source", max_length=300,
                             help_text="The contract, fee schedule or bulletin this rate comes from.")
    confirmed = forms.BooleanField(label="Confirmed against the source", required=False)

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("effective_from"), data.get("effective_to")
        if start and end and end < start:
            self.add_error("effective_to", "The end date is before the start date.")
        return data


class EndFeeForm(forms.Form):
    effective_to = forms.DateField(label="Last day of this rate", widget=DATE)


class HoldForm(forms.Form):
    reason = forms.CharField(label="Why is it held?", max_length=200,
                             help_text="e.g. waiting for the authorization number.")


class RemittanceUploadForm(forms.Form):
    file = forms.FileField(label="835 remittance file (X12)")

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_835_BYTES:
            raise forms.ValidationError("The file is larger than 50 MB: ask the payer to split the remittance.")
        raw = upload.read()
        if not raw.strip():
            raise forms.ValidationError("The file is empty: choose the 835 file the payer or clearinghouse sent.")
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"This is not an X12 text file (non-ASCII bytes at position {exc.start}): choose the 835 file, "
                "not a PDF or spreadsheet.") from exc


class CorrectionForm(forms.Form):
    """A biller's correction of a charge: what it should have been, and why (audited)."""

    code = forms.CharField(label="Procedure code (HCPCS/CPT)", max_length=5,
                           help_text="A code from the billing catalogue: CPT for a service, HCPCS for a per-diem day.")
    modifiers = forms.CharField(label="Modifiers", max_length=20, required=False,
                                help_text="Up to four, separated by commas, e.g. 95 or GT,HO.")
    units = forms.DecimalField(label="Units", max_digits=6, decimal_places=2, min_value=Decimal("0.01"),
                               max_value=Decimal("999"))
    amount = forms.DecimalField(label="Amount ($)", max_digits=10, decimal_places=2, min_value=Decimal("0.01"),
                                max_value=Decimal("100000"))
    reason = forms.CharField(label="Why is it corrected?", max_length=200,
                             help_text="Kept in the audit trail, e.g. 'Session lasted 55 minutes: 90837, not 90834'.")

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class SuspenseSearchForm(forms.Form):
    q = forms.CharField(label="Patient control number or payer claim number", max_length=50, required=False)


class SuspenseMatchForm(forms.Form):
    claim = forms.UUIDField(widget=forms.HiddenInput)
