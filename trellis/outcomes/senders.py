"""Pluggable delivery of self-completion links (settings.TRELLIS_OUTCOMES_SENDER).

A message carries the program's name and the link only: no patient name, no instrument, no diagnosis
(HIPAA minimum necessary; e-mail and SMS are not secure channels). Subjects are generic.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from trellis.core.errors import DomainError


@dataclass(frozen=True)
class OutgoingMessage:
    channel: str  # "email" | "sms"
    to: str
    subject: str
    body: str


class ConsoleSender:
    """Development: prints the message (address masked) and keeps it in memory for tests."""

    sent: ClassVar[list[OutgoingMessage]] = []

    def send(self, message: OutgoingMessage) -> None:
        ConsoleSender.sent.append(message)
        masked = message.to[:2] + "***"
        sys.stdout.write(f"[outcomes sender] {message.channel} to {masked}: {message.subject}\n{message.body}\n")


class DjangoMailSender:
    """E-mail through Django's configured mail backend. Text messages need a provider-specific sender."""

    def send(self, message: OutgoingMessage) -> None:
        if message.channel != "email":
            raise DomainError("No text-message sender is configured; send the link by e-mail or use the clinic tablet.")
        send_mail(message.subject, message.body, None, [message.to], fail_silently=False)


def get_sender() -> ConsoleSender | DjangoMailSender:
    return import_string(settings.TRELLIS_OUTCOMES_SENDER)()


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
