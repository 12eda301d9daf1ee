"""Who may do what with notes. Deny by default; every rule returns a Decision whose reason is shown to the user.

Capabilities come from trellis.accounts.capabilities (NOTE_WRITE, NOTE_COSIGN, NOTE_PRINT, PATIENT_VIEW), always
checked at the site of the session the note belongs to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import has_capability
from trellis.core.policy import ALLOW, Decision, deny

from .models import NoteStatus

if TYPE_CHECKING:
    from .models import Note, PrivateNote


def _is_session_clinician(user: Any, session: Any) -> bool:
    return user.pk is not None and user.pk in (session.facilitator_id, getattr(session, "co_facilitator_id", None))


def can_write_for_session(user: Any, session: Any) -> Decision:
    """Start or edit notes of a session: the facilitator or co-facilitator, or a program director, with
    NOTE_WRITE at the session's site."""
    if not getattr(user, "is_authenticated", False):
        return deny("Sign in first.")
    if not has_capability(user, Cap.NOTE_WRITE, session.site):
        return deny("You may not write notes at this site.")
    if _is_session_clinician(user, session) or has_capability(user, Cap.PROGRAM_MANAGE, session.site):
        return ALLOW
    return deny("Only the session's facilitators write its notes.")


def can_edit(user: Any, note: Note) -> Decision:
    if note.status != NoteStatus.DRAFT:
        return deny("This note is signed and can no longer be changed. Add an addendum instead.")
    decision = can_write_for_session(user, note.session)
    if not decision:
        return decision
    return ALLOW


def can_sign(user: Any, note: Note) -> Decision:
    if note.status != NoteStatus.DRAFT:
        return deny("This note is already signed.")
    if user.pk != note.author_id:
        return deny("Only the author of a draft can sign it.")
    if not has_capability(user, Cap.NOTE_WRITE, note.session.site):
        return deny("You may not sign notes at this site.")
    return ALLOW


def can_cosign(user: Any, note: Note) -> Decision:
    if note.status != NoteStatus.AWAITING_COSIGN:
        return deny("This note is not waiting for a co-signature.")
    if user.pk == note.author_id:
        return deny("You cannot co-sign your own note.")
    if not has_capability(user, Cap.NOTE_COSIGN, note.session.site):
        return deny("You may not co-sign notes at this site.")
    if note.cosigner_id and note.cosigner_id != user.pk:
        return deny("This note is waiting for the author's supervisor to co-sign.")
    return ALLOW


def can_add_addendum(user: Any, note: Note) -> Decision:
    if note.status == NoteStatus.DRAFT:
        return deny("Addenda can only be added to signed notes; edit the draft instead.")
    if not has_capability(user, Cap.NOTE_WRITE, note.session.site):
        return deny("You may not add addenda at this site.")
    return ALLOW


def can_view_note(user: Any, note: Note) -> Decision:
    """The whole note (every attendee's section): clinical staff who write or co-sign notes at the site."""
    site = note.session.site
    if has_capability(user, Cap.NOTE_WRITE, site) or has_capability(user, Cap.NOTE_COSIGN, site):
        return ALLOW
    return deny("You may not read notes at this site.")


def can_print(user: Any, site: Any) -> Decision:
    if has_capability(user, Cap.NOTE_PRINT, site):
        return ALLOW
    return deny("You may not print notes at this site.")


def can_use_private_note(user: Any, private_note: PrivateNote) -> Decision:
    # Only the author: 45 CFR 164.508(a)(2) requires authorization for almost any other use or disclosure.
    if private_note.author_id == user.pk:
        return ALLOW
    return deny("Private notes are visible only to their author.")
