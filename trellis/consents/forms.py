from __future__ import annotations

from typing import Any

from django import forms

from trellis.consents import scope as consent_scope
from trellis.consents.models import ConsentKind
from trellis.core.forms import DATE, DATETIME
from trellis.referrals.models import ReferralSource


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices)
    recipient_source = forms.ModelChoiceField(queryset=ReferralSource.objects.none(), required=False,
                                              label="Recipient from the referral directory")
    recipient_name = forms.CharField(max_length=300, required=False, label="Recipient (person or organization)")
    recipient_address = forms.CharField(max_length=300, required=False)
    discloser = forms.CharField(max_length=300, required=False, label="Who may disclose",
                                help_text="Defaults to this site.")
    information = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False,
                                  label="Information that may be disclosed")
    purpose = forms.CharField(max_length=300, required=False)
    expires_on = forms.DateField(widget=DATE, required=False, label="Expiry date")
    expiration_event = forms.CharField(max_length=200, required=False, label="…or expiry event")
    categories = forms.MultipleChoiceField(
        choices=list(consent_scope.CATEGORIES.items()), widget=forms.CheckboxSelectMultiple, required=False,
        label="Categories of information that may be disclosed",
        help_text="A disclosure carries only these (42 CFR 2.31(a)(3), 2.13(a)). Required for a release.")
    scope = forms.ChoiceField(choices=consent_scope.ConsentScope.choices, required=False, label="Type of consent")
    recipient_classes = forms.MultipleChoiceField(
        choices=[(k, label) for k, (label, _p) in consent_scope.TPO_CLASSES.items()], widget=forms.CheckboxSelectMultiple,
        required=False, label="Recipients (TPO consent: a class, matched by purpose)")
    irrevocable_until = forms.DateField(widget=DATE, required=False,
                                        label="Irrevocable until (criminal-justice referral, 42 CFR 2.35)")
    minor_basis = forms.ChoiceField(choices=[("", "—"), *consent_scope.MINOR_BASES.items()], required=False,
                                    label="Minor patient: who signs under state law (42 CFR 2.14)")

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient_source"].queryset = ReferralSource.objects.filter(organization=organization,
                                                                                 active=True)

    def release_data(self) -> dict[str, Any]:
        if not ConsentKind.is_release(self.cleaned_data["kind"]):
            return {}
        if not self.cleaned_data.get("categories"):
            self.add_error("categories", "Choose the categories of information the release covers "
                                         "(42 CFR 2.31(a)(3)).")
        keys = ("recipient_source", "recipient_name", "recipient_address", "discloser", "information", "purpose",
                "expires_on", "expiration_event", "categories", "scope", "recipient_classes", "irrevocable_until",
                "minor_basis")
        data = {k: self.cleaned_data.get(k) for k in keys}
        return {k: v for k, v in data.items() if v not in ("", None)}


class SignForm(forms.Form):
    signer_name = forms.CharField(max_length=200, label="Type your full name to sign")
    signer_relationship = forms.ChoiceField(
        choices=[("self", "Patient"), ("parent", "Parent / guardian"), ("representative", "Personal representative")],
        initial="self", label="Signing as",
    )
    relationship_detail = forms.CharField(
        max_length=50, required=False, label="Relationship or authority (when not the patient)",
        help_text="e.g. mother, legal guardian, health-care proxy. A patient signs with their legal name.",
    )
    signature_drawing = forms.CharField(required=False, widget=forms.HiddenInput)
    read_confirm = forms.BooleanField(label="I have read the text above (or it was read to me)")


class RevokeForm(forms.Form):
    note = forms.CharField(max_length=300, required=False, label="Note (e.g. written revocation received)")


class ExpireForm(forms.Form):
    occurred_on = forms.DateField(widget=DATE, label="Date the expiry event happened")


class AccountingRangeForm(forms.Form):
    """Date range of the accounting of disclosures; blank means the last 3 years (45 CFR 164.528(a))."""

    start = forms.DateField(widget=DATE, required=False, label="From")
    end = forms.DateField(widget=DATE, required=False, label="To")

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The end date is before the start date.")
        return data


class EmergencyDisclosureForm(forms.Form):
    """42 CFR 2.51: disclosure to medical personnel in a bona fide medical emergency, without consent."""

    recipient_name = forms.CharField(max_length=300, label="Medical personnel who received the information")
    recipient_affiliation = forms.CharField(max_length=300, label="Their affiliation (e.g. hospital ED)")
    nature_of_emergency = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Nature of the emergency")
    information = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Information disclosed")
    sections = forms.MultipleChoiceField(choices=list(consent_scope.CATEGORIES.items()), widget=forms.CheckboxSelectMultiple,
                                         label="Categories disclosed")
    disclosed_at = forms.DateTimeField(widget=DATETIME, label="Date and time of disclosure")


class NoticeForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}), label="Notice text (42 CFR 2.22)",
                           help_text="Plain language, headed with the program's name: uses and disclosures, the "
                                     "patient's rights, and how to complain.")
