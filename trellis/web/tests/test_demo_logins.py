"""`demo_logins` prints the address actually served and every demo account the README names; the README and
scripts point only at files inside the repository."""

from __future__ import annotations

import random
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from trellis.core import demo
from trellis.core.clock import now

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo_staff(db):
    return demo.run(demo.DemoContext(rng=random.Random(1), today=now().date(), weeks=1, n_patients=1),
                    only=["accounts"])


def _logins(*args: str, **env: str) -> str:
    out = StringIO()
    call_command("demo_logins", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_prints_the_port_given(demo_staff) -> None:
    assert "http://127.0.0.1:8123 " in _logins("--port", "8123")
    assert "http://0.0.0.0:9000 " in _logins("--host", "0.0.0.0", "--port", "9000")  # noqa: S104


def test_port_from_environment(demo_staff, monkeypatch) -> None:
    monkeypatch.setenv("PORT", "8765")
    assert "http://127.0.0.1:8765 " in _logins()


def test_makefile_passes_the_served_port() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "demo_logins --host $(HOST) --port $(PORT)" in makefile
    assert "--port $(PORT)" in makefile.split("uvicorn", 1)[1]


def test_every_account_the_readme_names_is_printed(demo_staff) -> None:
    named = set(re.findall(r"[a-z.]+@cedarridge\.example", (ROOT / "README.md").read_text()))
    assert "hannah.cho@cedarridge.example" in named
    printed = _logins()
    missing = sorted(e for e in named if e not in printed)
    assert not missing, f"README names accounts demo_logins does not print: {missing}"
    # the supervised therapist's supervisor is printed too (she co-signs or returns the notes)
    assert "samuel.reyes@cedarridge.example" in printed


def test_readme_and_scripts_stay_inside_the_repository() -> None:
    texts = {p: p.read_text() for p in [ROOT / "README.md", *ROOT.glob("scripts/*"), *ROOT.glob("docs/*.md")]
             if p.is_file()}
    for path, text in texts.items():
        assert "/work/" not in text and "shared/notes" not in text and "../" not in text, path
    for target in re.findall(r"\]\(([^)#]+)\)", (ROOT / "README.md").read_text()):
        if not target.startswith(("http://", "https://", "mailto:")):
            assert (ROOT / target).exists(), f"README links to {target}, which is not in the repository"
