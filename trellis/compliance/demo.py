"""Demo data of the compliance app, called by seed_demo (trellis.core.demo.SEEDERS)."""

from __future__ import annotations

from trellis.compliance import ops_demo
from trellis.core.demo import DemoContext


def seed(ctx: DemoContext) -> None:
    """Requirement sets (the engine's part); nothing yet on this branch."""


def seed_ops(ctx: DemoContext) -> None:
    """Alerts, authorizations in every state, a release for the UR packet (after attendance and outcomes)."""
    ops_demo.seed(ctx)
