"""Suicide-risk rules applied to notes (pure; no database).

C-SSRS Screen Version triage (Columbia Lighthouse Project; Posner K et al., Am J Psychiatry 2011;168:1266-1277):
a yes to question 4 (some intent to act) or 5 (a plan, with intent), or suicidal behaviour in the past 3 months
(question 6), is HIGH risk. A note that records active ideation with a plan or intent, or recent self-harm
behaviour, therefore carries an overall rating of "high" whatever the writer chose, and a high rating needs a
safety plan and the primary clinician's attention (TJC NPSG.15.01.01 EP 5-6).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SOURCE = "C-SSRS screen triage (yes to Q4/Q5 or recent behaviour = high risk); TJC NPSG.15.01.01"
HIGH_TRIGGERS = {("suicidal_ideation", "active_plan"), ("self_harm", "recent")}


def is_risk_block(value: Any) -> bool:
    return isinstance(value, Mapping) and "suicidal_ideation" in value and "risk_level" in value


def forced_high(block: Mapping[str, Any]) -> bool:
    return any(block.get(item) == answer for item, answer in HIGH_TRIGGERS)


def force_levels(content: Any) -> Any:
    """A copy of section content with every risk block whose answers require it rated "high"."""
    if is_risk_block(content):
        return {**content, "risk_level": "high"} if forced_high(content) else content
    if isinstance(content, Mapping):
        return {k: force_levels(v) for k, v in content.items()}
    return content


def high_risk_blocks(content: Any) -> list[Mapping[str, Any]]:
    """Risk blocks in content rated (or forced) high."""
    if is_risk_block(content):
        return [content] if content.get("risk_level") == "high" or forced_high(content) else []
    if isinstance(content, Mapping):
        return [b for v in content.values() for b in high_risk_blocks(v)]
    return []
