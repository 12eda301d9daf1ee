"""Refuse to start in production with settings that would expose patient data."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

INSECURE_KEY_MARKERS = ("django-insecure", "changeme", "secret", "demo")


def production_problems(config: dict[str, Any]) -> list[str]:
    """Return what is unsafe about a settings mapping when TRELLIS_ENV=production."""
    if config.get("TRELLIS_ENV") != "production":
        return []
    problems: list[str] = []
    if config.get("DEBUG"):
        problems.append("DEBUG must be off")
    key = config.get("SECRET_KEY") or ""
    if len(key) < 40 or any(marker in key.lower() for marker in INSECURE_KEY_MARKERS):
        problems.append("SECRET_KEY must be set to a long random value")
    if not config.get("ALLOWED_HOSTS"):
        problems.append("ALLOWED_HOSTS must name the public host(s)")
    for name in ("SECURE_SSL_REDIRECT", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"):
        if not config.get(name):
            problems.append(f"{name} must be on (HTTPS only)")
    if int(config.get("SECURE_HSTS_SECONDS") or 0) < 86400:
        problems.append("SECURE_HSTS_SECONDS must be at least one day")
    if "sqlite" in str(config.get("DATABASES", {}).get("default", {}).get("ENGINE", "")):
        problems.append("DATABASE_URL must point at PostgreSQL")
    return problems


def check_production_settings(config: dict[str, Any]) -> None:
    problems = production_problems(config)
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))
