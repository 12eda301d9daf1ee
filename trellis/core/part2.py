"""The 42 CFR 2.32 notice on every print and export: one function decides, one renders.

42 CFR 2.32(a) (as amended by 89 FR 12472, Feb. 16, 2024): each disclosure of Part 2 records made with the
patient's written consent must be accompanied by the notice prohibiting redisclosure (Statement 1, or the
abbreviated Statement 2). A print or export leaves the system and may be handed on, so every print, PDF and
file export of a patient's records carries the full notice when the patient has Part 2 records.

core is the lowest layer: episodes (which knows which programs are Part 2 programs) registers the decision,
consents (which holds the regulation's wording) registers the text, from their `AppConfig.ready()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.html import format_html

_has_part2_records: Callable[[list[Any]], bool] | None = None
_texts: dict[str, str] = {"full": "", "short": ""}


def register_part2_resolver(resolver: Callable[[list[Any]], bool]) -> None:
    """`resolver(patients)` -> whether any of them has records from a Part 2 program (episodes)."""
    global _has_part2_records
    _has_part2_records = resolver


def register_notice_texts(*, full: str, short: str) -> None:
    """The 2.32(a)(1) and (a)(2) statements (consents)."""
    _texts.update(full=full, short=short)


def part2_notice_applies(patients: Iterable[Any]) -> bool:
    """Whether a print or export showing these patients' records must carry the redisclosure notice."""
    shown = [p for p in patients if p is not None]
    if not shown:
        return False
    if _has_part2_records is None:  # pragma: no cover - episodes is always installed; fail safe: notice
        return True
    return _has_part2_records(shown)


def render_part2_notice(applies: bool, *, fmt: str = "text") -> str:
    """The notice as plain text ("text", for PDFs and files) or an HTML block ("html"); "" when it does not
    apply."""
    if not applies:
        return ""
    text = _texts["full"]
    if fmt == "html":
        return format_html(
            '<section class="part2-notice" role="note"><h2>42 CFR Part 2 notice prohibiting redisclosure</h2>'
            "<p>{}</p></section>", text,
        )
    return text


def part2_abbreviated_notice() -> str:
    """Statement 2 of 42 CFR 2.32(a)(2), for disclosures with no room for the full notice (a claim's note)."""
    return _texts["short"]


def part2_notice_for(patients: Iterable[Any], *, fmt: str = "text") -> str:
    return render_part2_notice(part2_notice_applies(patients), fmt=fmt)
