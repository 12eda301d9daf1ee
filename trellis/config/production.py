"""Refuse to start in production with settings that would expose patient data."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

from django.core.exceptions import ImproperlyConfigured

INSECURE_KEY_MARKERS = ("django-insecure", "changeme", "secret", "demo")
# The environments Trellis knows. Anything else ("prod", "Production ") is a typo that would otherwise run
# with development settings in production, so it refuses to start.
KNOWN_ENVIRONMENTS = ("dev", "production")
# A signing key is weak when it is short or made of few distinct symbols ("aaaa…", a repeated word). A random
# 50-character URL-safe key (secrets.token_urlsafe(50), 67 characters) has about 41 distinct symbols and
# about 5.5 bits of empirical entropy per character; these floors refuse repeated or patterned keys and keep
# every random one (40 distinct symbols would refuse about a quarter of genuinely random keys of that length).
MIN_KEY_LENGTH = 50
MIN_KEY_DISTINCT = 24
MIN_KEY_BITS_PER_CHAR = 4.0


def environment_problem(raw: str | None) -> str | None:
    """Why TRELLIS_ENV is not a known environment, or None. Compared exactly: no trimming, no case folding."""
    value = "dev" if raw is None else raw
    if value not in KNOWN_ENVIRONMENTS:
        return f"TRELLIS_ENV={value!r} is not one of {', '.join(KNOWN_ENVIRONMENTS)}"
    return None


def weak_key(key: str) -> bool:
    if len(key) < MIN_KEY_LENGTH or any(marker in key.lower() for marker in INSECURE_KEY_MARKERS):
        return True
    counts = Counter(key)
    if len(counts) < MIN_KEY_DISTINCT:
        return True
    bits = -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())
    return bits < MIN_KEY_BITS_PER_CHAR


def production_problems(config: dict[str, Any]) -> list[str]:
    """Return what is unsafe about a settings mapping when TRELLIS_ENV=production."""
    if config.get("TRELLIS_ENV") != "production":
        return []
    problems: list[str] = []
    if config.get("DEBUG"):
        problems.append("DEBUG must be off")
    if weak_key(config.get("SECRET_KEY") or ""):
        problems.append(
            f"SECRET_KEY must be a long random value (at least {MIN_KEY_LENGTH} characters, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    hosts = config.get("ALLOWED_HOSTS") or []
    if not hosts:
        problems.append("ALLOWED_HOSTS must name the public host(s)")
    elif any(host.strip() in ("*", ".") or host.strip().startswith("*") for host in hosts):
        problems.append("ALLOWED_HOSTS must name the public host(s), not a wildcard")
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        if not config.get(name):
            problems.append(f"{name} must be on (HTTPS only)")
    if int(config.get("SECURE_HSTS_SECONDS") or 0) < 86400:
        problems.append("SECURE_HSTS_SECONDS must be at least one day")
    if "sqlite" in str(config.get("DATABASES", {}).get("default", {}).get("ENGINE", "")):
        problems.append("DATABASE_URL must point at PostgreSQL")
    if not (config.get("TRELLIS_AUDIT_KEYS") or config.get("TRELLIS_AUDIT_KEY_FILE")):
        problems.append(
            "TRELLIS_AUDIT_KEYS (or TRELLIS_AUDIT_KEY_FILE) must hold the audit chain key, kept outside the "
            "database (e.g. TRELLIS_AUDIT_KEYS=k1:$(python -c 'import secrets; print(secrets.token_urlsafe(32))'))"
        )
    return problems


def check_production_settings(config: dict[str, Any]) -> None:
    problems = production_problems(config)
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))
