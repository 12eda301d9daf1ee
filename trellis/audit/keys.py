"""The keys of the audit chain. They live outside the database (environment or a file), so whoever can write
to the database cannot recompute an event's hash or a seal after changing it.

`TRELLIS_AUDIT_KEYS` holds `id:secret` pairs separated by commas (or `TRELLIS_AUDIT_KEY_FILE` names a file
with one `id:secret` per line); `TRELLIS_AUDIT_KEY_ID` picks the one new events and seals use (default: the
last listed). Rotation: add a new pair, point `TRELLIS_AUDIT_KEY_ID` at it, and keep the old pairs so older
events still verify. Each event and seal stores the id of the key it was made with.
Without configuration (development and tests) one key is derived from SECRET_KEY, id "dev"; production
refuses to start without a configured key (trellis/config/production.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEV_KEY_ID = "dev"


def parse_keys(text: str) -> dict[str, bytes]:
    """`id:secret` pairs separated by commas or new lines; blank lines and `#` comments ignored."""
    keys: dict[str, bytes] = {}
    for raw in text.replace(",", "\n").splitlines():
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        key_id, sep, secret = item.partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not sep or not key_id or not secret or len(key_id) > 16:
            raise ImproperlyConfigured("audit keys must be 'id:secret' pairs with an id of at most 16 characters")
        keys[key_id] = secret.encode()
    return keys


def configured_keys() -> dict[str, bytes]:
    """Keys from the settings (environment or key file); empty when none are configured."""
    text = getattr(settings, "TRELLIS_AUDIT_KEYS", "") or ""
    key_file = getattr(settings, "TRELLIS_AUDIT_KEY_FILE", "") or ""
    if key_file:
        text = f"{text}\n{Path(key_file).read_text()}"
    return parse_keys(text)


def audit_keys() -> dict[str, bytes]:
    keys = configured_keys()
    if not keys:
        keys = {DEV_KEY_ID: hashlib.sha256(b"trellis-audit-dev:" + settings.SECRET_KEY.encode()).digest()}
    return keys


def current_key() -> tuple[str, bytes]:
    """(id, secret) that new events and seals are made with."""
    keys = audit_keys()
    key_id = getattr(settings, "TRELLIS_AUDIT_KEY_ID", "") or list(keys)[-1]
    if key_id not in keys:
        raise ImproperlyConfigured(f"TRELLIS_AUDIT_KEY_ID {key_id!r} is not among the configured audit keys")
    return key_id, keys[key_id]
