"""Who may do what with notes. Deny by default; every rule returns a Decision whose reason is shown to the user.

Capabilities come from trellis.accounts.capabilities (NOTE_WRITE, NOTE_COSIGN, NOTE_PRINT, PATIENT_VIEW), always
checked at the site of the session the note belongs to.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q

from trellis.accounts.capabilities import Cap
from trellis.accounts.models import Role
from trellis.accounts.policies import has_capability, roles_of
from trellis.core.policy import ALLOW, Decision, deny

from .models import NoteStatus, SignatureKind

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


# Roles whose note access is limited to their own work (minimum necessary, 45 CFR 164.514(d)): they read the
# notes of sessions they ran or of patients on their caseload, not every note at the site, and add addenda
# only to notes they wrote or co-signed.
LIMITED_NOTE_ROLES = frozenset({Role.PEER_SPECIALIST, Role.GROUP_FACILITATOR})


def _limited_at(user: Any, site: Any) -> bool:
    roles = roles_of(user, site)
    return bool(roles) and roles <= LIMITED_NOTE_ROLES


def _wrote_or_cosigned(user: Any, note: Note) -> bool:
    return user.pk in (note.author_id, note.signed_by_id) or note.signatures.filter(
        signer_id=user.pk, kind=SignatureKind.COSIGN).exists()


def _on_caseload(user: Any, note: Note) -> bool:
    return note.participants.filter(Q(episode__primary_clinician_id=user.pk) | Q(episode__case_manager_id=user.pk)
                                    ).exists()


def can_add_addendum(user: Any, note: Note) -> Decision:
    if note.status == NoteStatus.DRAFT:
        return deny("Addenda can only be added to signed notes; edit the draft instead.")
    if not has_capability(user, Cap.NOTE_WRITE, note.session.site):
        return deny("You may not add addenda at this site.")
    if _limited_at(user, note.session.site) and not _wrote_or_cosigned(user, note):
        return deny("You may add addenda only to notes you wrote or co-signed.")
    return ALLOW


def can_view_note(user: Any, note: Note) -> Decision:
    """The whole note (every attendee's section): clinical staff who write or co-sign notes at the site;
    peer specialists and group facilitators only for sessions they ran, notes they wrote, or patients on
    their caseload."""
    site = note.session.site
    if not (has_capability(user, Cap.NOTE_WRITE, site) or has_capability(user, Cap.NOTE_COSIGN, site)):
        return deny("You may not read notes at this site.")
    if _limited_at(user, site) and not (
        _is_session_clinician(user, note.session) or _wrote_or_cosigned(user, note) or _on_caseload(user, note)
    ):
        return deny("You may read only the notes of sessions you ran or of patients on your caseload.")
    return ALLOW


def can_print(user: Any, site: Any) -> Decision:
    if has_capability(user, Cap.NOTE_PRINT, site):
        return ALLOW
    return deny("You may not print notes at this site.")


def can_use_private_note(user: Any, private_note: PrivateNote) -> Decision:
    # Only the author: 45 CFR 164.508(a)(2) requires authorization for almost any other use or disclosure.
    if private_note.author_id == user.pk:
        return ALLOW
    return deny("Private notes are visible only to their author.")
