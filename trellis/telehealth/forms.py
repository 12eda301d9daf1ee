from __future__ import annotations

from django import forms

from trellis.telehealth.models import VideoProvider, WaitingRoom


class IdentityForm(forms.Form):
    date_of_birth = forms.DateField(
        label="Your date of birth", widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={"invalid": "Enter your date of birth, for example 1990-04-21.",
                        "required": "Enter your date of birth."},
    )


class ConsentForm(forms.Form):
    signer_name = forms.CharField(label="Type your full name to sign", max_length=200,
                                  widget=forms.TextInput(attrs={"autocomplete": "name"}))
    agree = forms.BooleanField(label="I have read this consent and agree to receive care by video.",
                               error_messages={"required": "Tick the box to agree, or call the clinic with questions."})


class DeviceCheckForm(forms.Form):
    camera = forms.BooleanField(required=False)
    microphone = forms.BooleanField(required=False)
    speaker = forms.BooleanField(required=False, label="I heard the test sound")
    # Anything but good/fair/poor is stored as "unknown" by the service: a device check never blocks joining.
    network = forms.CharField(required=False, max_length=20)


class WaitingRoomForm(forms.ModelForm):
    class Meta:
        model = WaitingRoom
        fields = ["title", "logo", "accent_color", "background_color", "welcome_text", "what_to_expect",
                  "support_phone", "lead_minutes"]
        widgets = {"accent_color": forms.TextInput(attrs={"type": "color"}),
                   "background_color": forms.TextInput(attrs={"type": "color"}),
                   "welcome_text": forms.Textarea(attrs={"rows": 3}),
                   "what_to_expect": forms.Textarea(attrs={"rows": 4})}


class VideoSettingsForm(forms.Form):
    provider = forms.ChoiceField(choices=VideoProvider.choices)
    livekit_url = forms.CharField(required=False, max_length=200, label="LiveKit server URL")
