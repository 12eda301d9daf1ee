"""The episodes app's place in the layers: the apps below it never import it (they take part through
trellis.episodes.hooks or plain data), and episodes imports nothing above it."""

from __future__ import annotations

from pathlib import Path

import trellis
from trellis.core.layers import check, collect_imports

ROOT = Path(trellis.__file__).resolve().parent
BELOW = ("trellis.core", "trellis.accounts", "trellis.audit", "trellis.patients", "trellis.programs",
         "trellis.referrals", "trellis.consents")


def _app(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_lower_app_imports_episodes() -> None:
    found = [f"{i.importer}:{i.line}" for i in collect_imports(ROOT)
             if _app(i.importer) in BELOW and _app(i.imported) == "trellis.episodes"]
    assert found == []


def test_episodes_breaks_no_layer_rule() -> None:
    mine = [i for i in collect_imports(ROOT) if _app(i.importer) == "trellis.episodes"]
    assert mine, "the collector found no imports in trellis.episodes"
    assert [str(v) for v in check(mine)] == []
