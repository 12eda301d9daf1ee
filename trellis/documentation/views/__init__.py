"""Documentation views, one module per screen. Thin: parse input, check the policy, call a service or a
selector, render. URL names and paths are in ../urls.py.

- worklists.py: notes to do (mine, per program)
- session.py: a session's notes, starting a note
- note.py: the note screen (save, sign, autosave, co-sign, addenda); its content is built by
  selectors.note_screen_context
- chart.py: the chart's Notes tab and PDFs
- private.py: private notes (author only)
- note_templates.py: note template administration
"""

from .chart import chart_note_pdf, chart_notes, chart_notes_pdf
from .note import addendum, cosign, note_detail, note_save, note_url, previous_shared, return_to_author
from .note_templates import template_detail, template_list
from .private import private_edit, private_list, private_new
from .session import session_notes, start
from .worklists import program_worklist, risk_notice_ack, worklist

__all__ = [
    "addendum",
    "chart_note_pdf",
    "chart_notes",
    "chart_notes_pdf",
    "cosign",
    "return_to_author",
    "risk_notice_ack",
    "note_detail",
    "note_save",
    "note_url",
    "previous_shared",
    "private_edit",
    "private_list",
    "private_new",
    "program_worklist",
    "session_notes",
    "start",
    "template_detail",
    "template_list",
    "worklist",
]
