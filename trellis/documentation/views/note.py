"""Screen: the note (group or individual): view, save and sign in one request, htmx autosave, the previous
session's shared section, co-signature and addenda. The screen's content comes from
selectors.note_screen_context."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError

from .. import policies, selectors, services
from ..forms import SHARED_PREFIX, AddendumForm, build_sections, parse_note_form
from ..models import Note, NoteStatus
from ..note_schema import Scope


def _load_note(request: HttpRequest, note_id: Any, capability: str = Cap.NOTE_WRITE) -> Note:
    return get_scoped_or_404(request, selectors.note_detail_queryset(), note_id, capability=capability)


def _context(request: HttpRequest, note: Note, **form_state: Any) -> dict[str, Any]:
    ctx = selectors.note_screen_context(user=request.user, note=note, **form_state)
    ctx["addendum_form"] = AddendumForm(patient_choices=ctx["addendum_choices"])
    ctx["returns"] = selectors.returns_of(note)
    return ctx


@capability_required(Cap.NOTE_WRITE)
@require_GET
def note_detail(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = _load_note(request, note_id)
    if not policies.can_view_note(request.user, note):
        raise Http404
    # Reads only: patients marked as attending who have no section yet are listed (screen.missing_from_note)
    # and get their section when attendance is marked or the draft is saved, never when the note is viewed.
    ctx = _context(request, note)
    # One event per view; the episodes whose sections were shown are listed by id (no PHI in detail).
    record(action=AuditAction.READ, obj=note, patient=note.episode.patient if note.episode_id else None,
           detail={"episodes": [str(r.participant.episode.public_id) for r in ctx["screen"].rows]})
    return render(request, "documentation/note.html", ctx)


@capability_required(Cap.NOTE_WRITE)
@require_POST
def note_save(request: HttpRequest, note_id: Any) -> HttpResponse:
    """Save the whole note (shared section + every patient) in one request; ``action=sign`` saves and signs
    atomically. htmx autosave posts here too and gets a small status fragment back."""
    note = _load_note(request, note_id)
    is_htmx = request.headers.get("HX-Request") == "true"
    action = request.POST.get("action", "save")
    decision = policies.can_edit(request.user, note)
    if not decision:
        record(action=AuditAction.DENIED, obj=note, outcome="denied", detail={"reason": "edit"})
        if is_htmx:
            return render(request, "documentation/_autosave_status.html", {"error": decision.reason}, status=422)
        messages.error(request, decision.reason)
        return redirect("documentation:note", note_id=note.public_id)
    keys = [str(k) for k in note.participants.values_list("public_id", flat=True)]
    parsed = parse_note_form(note.template_version.parsed, request.POST, keys)
    if parsed.version is None:
        messages.error(request, "The form is out of date; reload the page.")
        return redirect("documentation:note", note_id=note.public_id)

    def rerender(errors: dict | None = None, conflict: services.NoteConflict | None = None,
                 status: int = 200) -> HttpResponse:
        ctx = _context(request, note, shared=parsed.shared, participants=parsed.participants, errors=errors,
                       conflict=conflict, version=conflict.current_version if conflict else parsed.version)
        ctx["replace_url"] = note_url(note)  # the address bar must not keep the POST URL (notes.js)
        return render(request, "documentation/note.html", ctx, status=status)

    if parsed.coercion_errors:
        if is_htmx:
            return render(request, "documentation/_autosave_status.html",
                          {"error": "Some fields could not be read; they are marked when you save."}, status=422)
        return rerender(parsed.coercion_errors, status=400)
    try:
        if action == "sign":
            note = services.save_and_sign(note=note, user=request.user, expected_version=parsed.version,
                                          shared=parsed.shared, participants=parsed.participants)
        else:
            note = services.save_draft(note=note, user=request.user, expected_version=parsed.version,
                                       shared=parsed.shared, participants=parsed.participants, bases=parsed.bases)
    except services.NoteConflict as exc:
        if is_htmx:  # 409: the shell shows its edit-conflict toast; nothing is swapped, the text stays
            return render(request, "documentation/_autosave_status.html", {"conflict": str(exc)}, status=409)
        note = exc.note
        if parsed.bases:
            # Show the user's own edits (to review against the other person's), but the latest saved text of
            # every section they did not touch, so that saving again cannot write a stale copy back.
            parsed.shared, parsed.participants = services.changed_sections(
                note.template_version.parsed, parsed.shared, parsed.participants, parsed.bases)
            parsed.participants = dict(parsed.participants)
        return rerender(conflict=exc, status=409)
    except services.NoteValidationError as exc:
        if is_htmx:  # 422: swapped into the status line without an error toast (web/README.md, htmx)
            return render(request, "documentation/_autosave_status.html", {"error": str(exc)}, status=422)
        messages.error(request, str(exc))
        return rerender(exc.errors, status=400)
    except DomainError as exc:
        if is_htmx:
            return render(request, "documentation/_autosave_status.html", {"error": str(exc)}, status=422)
        messages.error(request, str(exc))
        return rerender(status=400)
    if is_htmx:
        saved = getattr(note, "saved_sections", [])
        stored = services.section_hashes(note)
        merged = [k for k, h in (parsed.bases or {}).items() if k not in saved and stored.get(k, h) != h]
        return render(request, "documentation/_autosave_status.html", {
            "saved_at": timezone.localtime(note.updated_at, note.session.site.zone), "version": note.version,
            # only the sections this user just saved get a new base; a stale copy of a section someone else
            # changed keeps its old base, so it is never written back over the newer text
            "new_bases": [(k, stored[k]) for k in saved if k in stored],
            "merged": len(merged),
        })
    if action == "sign":
        messages.success(request, "Note signed." if note.status == NoteStatus.COMPLETE
                         else "Note signed; it now waits for your supervisor's co-signature.")
    else:
        messages.success(request, "Draft saved.")
    return redirect("documentation:note", note_id=note.public_id)


@capability_required(Cap.NOTE_WRITE)
@require_GET
def previous_shared(request: HttpRequest, note_id: Any) -> HttpResponse:
    """htmx: the shared section prefilled from the previous session's note (not saved until the user saves)."""
    note = _load_note(request, note_id)
    if not policies.can_edit(request.user, note):
        raise Http404
    prev = selectors.previous_note(note)
    schema = note.template_version.parsed
    content = dict(note.shared_content or {})
    if prev is not None and prev.template_version.template_id == note.template_version.template_id:
        content = {k: dict(v) for k, v in (prev.shared_content or {}).items()}
        # times come from this session's schedule, not the previous one
        for section, vals in selectors.session_defaults(note).items():
            content.setdefault(section, {}).update(vals)
        record(action=AuditAction.READ, obj=prev, detail={"purpose": "copy_shared_section"})
    sections = build_sections(schema, Scope.SHARED, content, prefix=SHARED_PREFIX)
    return render(request, "documentation/_shared_section.html",
                  {"shared_sections": sections, "note": note, "copied": prev is not None, "has_previous": True,
                   "editable": True})


@capability_required(Cap.NOTE_COSIGN)
@require_POST
def cosign(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = _load_note(request, note_id, capability=Cap.NOTE_COSIGN)
    try:
        services.cosign_note(note=note, user=request.user)
    except DomainError as exc:
        record(action=AuditAction.DENIED, obj=note, outcome="denied", detail={"reason": "cosign"})
        messages.error(request, str(exc))
        return redirect("documentation:note", note_id=note.public_id)
    messages.success(request, "Note co-signed.")
    return redirect("documentation:note", note_id=note.public_id)


@capability_required(Cap.NOTE_COSIGN)
@require_POST
def return_to_author(request: HttpRequest, note_id: Any) -> HttpResponse:
    """Instead of co-signing: back to the author with comments (services.return_note)."""
    note = _load_note(request, note_id, capability=Cap.NOTE_COSIGN)
    try:
        services.return_note(note=note, user=request.user, comments=request.POST.get("comments", ""))
    except DomainError as exc:
        record(action=AuditAction.DENIED, obj=note, outcome="denied", detail={"reason": "return"})
        messages.error(request, str(exc))
        return redirect("documentation:note", note_id=note.public_id)
    messages.success(request, "Note returned to its author with your comments.")
    return redirect("documentation:note", note_id=note.public_id)


@capability_required(Cap.NOTE_WRITE)
@require_POST
def addendum(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = _load_note(request, note_id)
    parts = {str(p.episode.public_id): p.episode for p in note.participants.select_related("episode__patient")}
    form = AddendumForm(request.POST, patient_choices=[(k, e.patient.display_name) for k, e in parts.items()])
    if form.is_valid():
        try:
            services.add_addendum(note=note, user=request.user, text=form.cleaned_data["text"],
                                  episode=parts.get(form.cleaned_data.get("episode") or ""))
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Addendum signed and added.")
            return redirect("documentation:note", note_id=note.public_id)
    else:
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    ctx = _context(request, note)
    ctx["addendum_form"] = form
    ctx["replace_url"] = note_url(note)
    return render(request, "documentation/note.html", ctx, status=400)


def note_url(note: Note) -> str:
    return reverse("documentation:note", kwargs={"note_id": note.public_id})
