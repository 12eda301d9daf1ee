"""Pluggable delivery of patient messages (join links). Console in development, Django mail otherwise.

`TRELLIS_PATIENT_SENDER` picks a dotted path to a class with `channel` and `send(message) -> bool`.
Messages carry no PHI beyond the program's name: no patient name, diagnosis or clinician, and the
subject line is generic (DESIGN.md §4).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PatientMessage:
    to_email: str
    subject: str
    body: str


class ConsoleSender:
    """Development: prints the message to the server's stdout (never to the log stream)."""

    channel = "console"

    def send(self, message: PatientMessage) -> bool:
        sys.stdout.write(f"--- patient message ---\nSubject: {message.subject}\n\n{message.body}\n---\n")
        return True


class EmailSender:
    channel = "email"

    def send(self, message: PatientMessage) -> bool:
        if not message.to_email:
            return False
        return bool(
            send_mail(message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.to_email], fail_silently=False)
        )


class MemorySender:
    """Tests: keeps messages in `outbox`."""

    channel = "memory"
    outbox: list[PatientMessage] = []  # noqa: RUF012

    def send(self, message: PatientMessage) -> bool:
        if not message.to_email:
            return False
        MemorySender.outbox.append(message)
        return True


def get_sender() -> ConsoleSender | EmailSender | MemorySender:
    path = getattr(settings, "TRELLIS_PATIENT_SENDER", "trellis.telehealth.senders.ConsoleSender")
    return import_string(path)()
