"""Pluggable delivery of self-completion links (settings.TRELLIS_OUTCOMES_SENDER).

A message carries the program's name and the link only: no patient name, no instrument, no diagnosis
(HIPAA minimum necessary; e-mail and SMS are not secure channels). Subjects are generic.
"""

from __future__ import annotations

import base64
import json
import logging
import sys
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from trellis.core.errors import DomainError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str  # "email" | "sms"
    to: str
    subject: str
    body: str


class ConsoleSender:
    """Development: prints the message (address masked) and keeps it in memory for tests."""

    channels: ClassVar[frozenset[str]] = frozenset({"email", "sms"})
    sent: ClassVar[list[OutgoingMessage]] = []

    def send(self, message: OutgoingMessage) -> None:
        ConsoleSender.sent.append(message)
        masked = message.to[:2] + "***"
        sys.stdout.write(f"[outcomes sender] {message.channel} to {masked}: {message.subject}\n{message.body}\n")


class DjangoMailSender:
    """E-mail through Django's configured mail backend. Text messages need an SMS sender (TwilioSender)."""

    channels: ClassVar[frozenset[str]] = frozenset({"email"})

    def send(self, message: OutgoingMessage) -> None:
        if message.channel != "email":
            raise DomainError("No text-message sender is configured; send the link by e-mail or use the clinic tablet.")
        send_mail(message.subject, message.body, None, [message.to], fail_silently=False)


def e164(phone: str) -> str:
    """A North American number as E.164 (+1NXXNXXXXXX), the form SMS gateways take (ITU-T E.164)."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        raise DomainError("The patient's phone number cannot receive text messages; check it or send an e-mail.")
    return "+1" + digits


class TwilioSender(DjangoMailSender):
    """E-mail through Django mail; text messages through Twilio's Programmable Messaging REST API
    (POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json with To, From and Body, HTTP basic auth with
    the account SID and auth token). Settings: TRELLIS_SMS_ACCOUNT_SID, TRELLIS_SMS_AUTH_TOKEN, TRELLIS_SMS_FROM
    and TRELLIS_SMS_API_BASE (a Twilio-compatible gateway or a test server)."""

    channels: ClassVar[frozenset[str]] = frozenset({"email", "sms"})

    def send(self, message: OutgoingMessage) -> None:
        if message.channel != "sms":
            super().send(message)
            return
        sid, token = settings.TRELLIS_SMS_ACCOUNT_SID, settings.TRELLIS_SMS_AUTH_TOKEN
        if not (sid and token and settings.TRELLIS_SMS_FROM):
            raise DomainError("Text messages are not set up (account, token and sending number are needed).")
        url = f"{settings.TRELLIS_SMS_API_BASE.rstrip('/')}/2010-04-01/Accounts/{urllib.parse.quote(sid)}/Messages.json"
        data = urllib.parse.urlencode({"To": e164(message.to), "From": settings.TRELLIS_SMS_FROM,
                                       "Body": message.body}).encode()
        request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 - https URL from settings
        request.add_header("Authorization", "Basic " + base64.b64encode(f"{sid}:{token}".encode()).decode())
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            reply = json.loads(response.read() or b"{}")
        # The gateway's message id only: the number and the text stay out of the log (no PHI in logs).
        logger.info("outcomes link sent by text message", extra={"sms_id": reply.get("sid", "")})


Sender = ConsoleSender | DjangoMailSender


def get_sender() -> Sender:
    return import_string(settings.TRELLIS_OUTCOMES_SENDER)()


def deliver(message: OutgoingMessage, link_id: str) -> None:
    """Send after the link is committed. A gateway failure must not turn into an error page for a link that
    exists: it is logged by the link's opaque id (no address, no text) for staff to resend."""
    try:
        get_sender().send(message)
    except Exception:  # any delivery failure is reported the same way
        logger.exception("outcomes link delivery failed", extra={"link": link_id})


def link_message(*, channel: str, to: str, program_name: str, url: str, expires_label: str) -> OutgoingMessage:
    subject = "A short questionnaire from your care team"
    body = (
        f"{program_name} asks you to answer a short questionnaire. It takes about two minutes.\n\n"
        f"{url}\n\n"
        f"The link works once and expires {expires_label}. If you did not expect this message, ignore it."
    )
    if channel == "sms":
        body = f"{program_name}: please answer a short questionnaire (about 2 minutes): {url}"
    return OutgoingMessage(channel=channel, to=to, subject=subject, body=body)


def alert_message(*, to: str, site_name: str, url: str) -> OutgoingMessage:
    return OutgoingMessage(
        channel="email", to=to, subject="Trellis: an urgent alert needs your acknowledgement",
        body=f"A critical answer on an outcome measure at {site_name} needs acknowledgement.\n"
             f"Sign in to Trellis to review it: {url}",
    )
