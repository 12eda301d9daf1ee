"""The demo/scale data set: one deterministic story built app by app.

`seed_demo` creates a DemoContext and calls `seed(ctx)` of each app listed in SEEDERS that has a demo
module. Each app adds its own part and may put what later apps need on the context.
"""

from __future__ import annotations

import importlib
import random
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# Data order, not layer order: episodes exist before referrals link to them, and the intake diagnoses (an
# episodes model) follow the intakes. "app.stage" calls seed_<stage>(ctx) of that app's demo module.
SEEDERS = [
    "accounts",
    "patients",
    "programs",
    "episodes",
    "referrals",
    "episodes.diagnoses",
    "consents",
    "scheduling",
    "attendance",
    "careplans",
    "documentation",
    "coverage",
    "compliance",
    "billing",
    "telehealth",
    "outcomes",
]

DEMO_PASSWORD = "trellis-demo-2026"  # noqa: S105 - printed by `make demo`; demo organization only


@dataclass
class DemoContext:
    rng: random.Random
    today: date
    weeks: int
    n_patients: int
    password_hash: str = ""
    #: Scale units: each unit beyond the first copies every program (tracks, rooms) with its own group staff, so
    #: the census of *active* episodes grows with --patients (about 100 active per unit). 1 = the story demo.
    units: int = 1
    org: Any = None
    sites: list[Any] = field(default_factory=list)
    staff: dict[str, list[Any]] = field(default_factory=dict)
    patients: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def say(self, line: str) -> None:
        self.log.append(line)


def run(ctx: DemoContext, only: list[str] | None = None) -> DemoContext:
    for label in SEEDERS:
        app, _, stage = label.partition(".")
        if only and app not in only:
            continue
        try:
            module = importlib.import_module(f"trellis.{app}.demo")
        except ModuleNotFoundError as exc:
            if exc.name == f"trellis.{app}.demo":
                continue
            raise
        started = time.monotonic()
        getattr(module, f"seed_{stage}" if stage else "seed")(ctx)
        ctx.timings[label] = time.monotonic() - started
    return ctx
