from __future__ import annotations

from typing import Any

from django import forms

from trellis.consents.models import ConsentKind
from trellis.referrals.models import ReferralSource
from trellis.referrals.viewutils import DATE


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

    def __init__(self, *args: Any, organization: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient_source"].queryset = ReferralSource.objects.filter(organization=organization,
                                                                                 active=True)

    def release_data(self) -> dict[str, Any]:
        if not ConsentKind.is_release(self.cleaned_data["kind"]):
            return {}
        keys = ("recipient_source", "recipient_name", "recipient_address", "discloser", "information", "purpose",
                "expires_on", "expiration_event")
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
