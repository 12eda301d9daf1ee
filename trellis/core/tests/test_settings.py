import pytest
from django.core.exceptions import ImproperlyConfigured

from trellis.config.production import check_production_settings, production_problems

SAFE = {
    "TRELLIS_ENV": "production",
    "DEBUG": False,
    "SECRET_KEY": "hV3q-Zx8_Lp0rT9sWb2yKc7nUd4eFg6iJm1oAaBb5CcDdEeFfGgHhIiJj",
    "ALLOWED_HOSTS": ["trellis.example.org"],
    "SECURE_SSL_REDIRECT": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "DATABASES": {"default": {"ENGINE": "django.db.backends.postgresql"}},
    "TRELLIS_AUDIT_KEYS": "k1:Qm9vb2tzLWFyZS1ub3Qta2V5cy1idXQtdGhpcy1pcw",
}


def test_safe_production_settings_pass():
    assert production_problems(SAFE) == []
    check_production_settings(SAFE)


@pytest.mark.parametrize(
    "override,problem",
    [
        ({"DEBUG": True}, "DEBUG"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 40}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": []}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ["*"]}, "not a wildcard"),
        ({"ALLOWED_HOSTS": ["trellis.example.org", "*.example.org"]}, "not a wildcard"),
        ({"SECRET_KEY": "a" * 80}, "SECRET_KEY"),  # one repeated character
        ({"SECRET_KEY": "abcdefgh" * 10}, "SECRET_KEY"),  # a repeated pattern: few distinct characters
        ({"SECRET_KEY": "short-but-random-Qz8_vP1m"}, "SECRET_KEY"),
        ({"SECURE_SSL_REDIRECT": False}, "SECURE_SSL_REDIRECT"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE"),
        ({"SECURE_HSTS_SECONDS": 0}, "HSTS"),
        ({"DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3"}}}, "PostgreSQL"),
        ({"TRELLIS_AUDIT_KEYS": ""}, "TRELLIS_AUDIT_KEYS"),
    ],
)
def test_unsafe_production_settings_refused(override, problem):
    with pytest.raises(ImproperlyConfigured, match=problem):
        check_production_settings({**SAFE, **override})


def test_dev_is_not_checked():
    assert production_problems({"TRELLIS_ENV": "dev", "DEBUG": True}) == []


def test_production_process_refuses_to_start_with_defaults(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRELLIS_ENV": "production", "TRELLIS_DATA_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='trellis.config.settings';"
         "django.setup()"],
        env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode != 0
    assert "Refusing to start in production" in result.stderr


def test_random_keys_of_the_documented_length_are_accepted():
    """Keys shaped like `secrets.token_urlsafe(50)` (67 URL-safe characters) pass the strength check. A seeded
    generator keeps the sample fixed: a truly random key can, rarely, spell a refused word such as "demo"."""
    import random
    import string

    from trellis.config.production import weak_key

    alphabet = string.ascii_letters + string.digits + "-_"
    rng = random.Random(20261201)
    keys = ["".join(rng.choice(alphabet) for _ in range(67)) for _ in range(500)]
    assert not [k for k in keys if weak_key(k)]


@pytest.mark.parametrize("value", ["prod", "Production ", "PRODUCTION", "staging", ""])
def test_an_unknown_environment_refuses_to_start(tmp_path, value):
    import os
    import subprocess
    import sys

    env = {**os.environ, "TRELLIS_ENV": value, "TRELLIS_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='trellis.config.settings';"
         "django.setup()"],
        env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode != 0
    assert "is not one of dev, production" in result.stderr
