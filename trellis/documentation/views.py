"""Thin views: parse input, check the policy, call a service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, has_capability, sites_with
from trellis.audit.services import AuditAction, record
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.patients.models import Patient

from . import pdf as pdfmod
from . import policies, selectors, services
from .forms import (
    SHARED_PREFIX,
    AddendumForm,
    DateRangeForm,
    PrivateNoteForm,
    TemplateCreateForm,
    build_sections,
    parse_note_form,
    participant_prefix,
)
from .models import Note, NoteStatus, PrivateNote
from .note_schema import FieldError, Scope, display_sections

# ---------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------



DEFAULT_CHART_DAYS = 14

def _zone(site: Any) -> Any:
    return site.zone


def _local(dt_value: dt.datetime | None, site: Any) -> dt.datetime | None:
    return timezone.localtime(dt_value, _zone(site)) if dt_value else None


def _session_defaults(note: Note) -> dict[str, dict[str, Any]]:
    """Prefill start/end times of the shared section from the schedule (site time zone)."""
    s = note.session
    start, end = _local(s.starts_at, s.site), _local(s.ends_at, s.site)
    out: dict[str, dict[str, Any]] = {}
    for section in note.template_version.parsed.sections_for(Scope.SHARED):
        keys = {f.key for f in section.fields}
        vals: dict[str, Any] = {}
        if "start_time" in keys and start:
            vals["start_time"] = start.strftime("%H:%M")
        if "end_time" in keys and end:
            vals["end_time"] = end.strftime("%H:%M")
        out[section.key] = vals
    return out


def _load_note(request: HttpRequest, note_id: Any, capability: str = Cap.NOTE_WRITE) -> Note:
    return get_scoped_or_404(request, selectors.note_detail_queryset(), note_id, capability=capability)


def _note_context(
    request: HttpRequest,
    note: Note,
    *,
    shared: dict | None = None,
    participants: dict[str, dict] | None = None,
    errors: dict[str, list[FieldError]] | None = None,
    conflict: services.NoteConflict | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    screen = selectors.note_screen(note)
    schema = screen.schema
    errors = errors or {}
    bases = services.section_hashes(note, [r.participant for r in screen.rows]) if note.is_draft else {}
    editable = bool(policies.can_edit(request.user, note))
    shared_content = shared if shared is not None else note.shared_content
    shared_sections = build_sections(schema, Scope.SHARED, shared_content, errors.get("shared", ()),
                                     prefix=SHARED_PREFIX, defaults=_session_defaults(note) if editable else None)
    rows = []
    conflict_rows = []
    keys = [r.key for r in screen.rows]
    for i, row in enumerate(screen.rows):
        key = row.key
        content = (participants or {}).get(key, row.participant.content)
        rows.append({
            "row": row,
            "key": key,
            "prefix": participant_prefix(key),
            "sections": build_sections(schema, Scope.PARTICIPANT, content, errors.get(key, ()),
                                       prefix=participant_prefix(key), objectives=row.objectives),
            "display": display_sections(schema, row.participant.content, scope=Scope.PARTICIPANT,
                                        objective_labels=row.objectives),
            "has_errors": bool(errors.get(key)),
            "base": bases.get(key, ""),
            "section_errors": [e.message for e in errors.get(key, ()) if e.path == services.NAMES_PATH],
            "clash": conflict is not None and key in conflict.sections,
            "next_key": keys[i + 1] if i + 1 < len(keys) else None,
        })
        if conflict is not None and participants and key in participants and participants[key] != (
                row.participant.content or {}):
            conflict_rows.append({"patient": row.patient,
                                  "saved": display_sections(schema, row.participant.content,
                                                            scope=Scope.PARTICIPANT,
                                                            objective_labels=row.objectives)})
    conflict_shared = None
    if conflict is not None and shared is not None and shared != (note.shared_content or {}):
        conflict_shared = display_sections(schema, note.shared_content, scope=Scope.SHARED)
    return {
        "note": note,
        "session": note.session,
        "screen": screen,
        "schema": schema,
        "editable": editable,
        "can_sign": bool(policies.can_sign(request.user, note)),
        "can_cosign": bool(policies.can_cosign(request.user, note)),
        "can_addendum": bool(policies.can_add_addendum(request.user, note)),
        "can_print": note.is_signed and bool(policies.can_print(request.user, note.session.site)),
        "shared_sections": shared_sections,
        "shared_display": display_sections(schema, note.shared_content, scope=Scope.SHARED),
        "rows": rows,
        "errors": errors,
        "error_count": sum(len(v) for v in errors.values()),
        "conflict": conflict,
        "conflict_rows": conflict_rows,
        "conflict_shared": conflict_shared,
        "version": version if version is not None else note.version,
        "base_shared": bases.get(services.SHARED_KEY, ""),
        "shared_errors": [e.message for e in errors.get("shared", ()) if e.path == services.NAMES_PATH],
        "addendum_form": AddendumForm(patient_choices=[(str(r.participant.episode.public_id),
                                                        r.patient.display_name) for r in screen.rows]),
        "zone": note.session.site.zone,
        "has_previous": selectors.previous_note(note) is not None if editable else False,
        "verification": services.verify_note(note=note) if note.is_signed else None,
    }


# ---------------------------------------------------------------------------------------------------------
# Worklists
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.NOTE_WRITE)
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    program_id = request.GET.get("program")
    if program_id:
        import uuid

        try:
            return redirect("documentation:program_worklist", program_id=uuid.UUID(program_id))
        except ValueError:
            messages.error(request, "Choose a program from the list.")
    sites = sites_with(request.user, Cap.NOTE_WRITE)
    cosign_sites = sites_with(request.user, Cap.NOTE_COSIGN)
    if not sites and not cosign_sites:
        record(action=AuditAction.DENIED, object_type="view", object_id="documentation:worklist",
               outcome="denied", detail={"capability": Cap.NOTE_WRITE})
        raise PermissionDenied("Your role does not write notes.")
    wl = selectors.worklist(user=request.user, sites={*sites, *cosign_sites})
    programs = _programs_for(request.user)
    return render(request, "documentation/worklist.html", {"wl": wl, "scope": "mine", "programs": programs})


def _programs_for(user: Any) -> list[Any]:
    from trellis.programs.models import Program

    sites = sites_with(user, Cap.PROGRAM_MANAGE)
    return list(Program.objects.filter(site__in=sites, active=True).order_by("name")) if sites else []


@capability_required(Cap.PROGRAM_MANAGE)
@require_GET
def program_worklist(request: HttpRequest, program_id: Any) -> HttpResponse:
    from trellis.programs.models import Program

    program = get_scoped_or_404(request, Program.objects.select_related("site"), program_id,
                                capability=Cap.PROGRAM_MANAGE)
    wl = selectors.worklist(program=program)
    return render(request, "documentation/worklist.html",
                  {"wl": wl, "scope": "program", "program": program, "programs": _programs_for(request.user)})


# ---------------------------------------------------------------------------------------------------------
# Session -> notes
# ---------------------------------------------------------------------------------------------------------
def _load_session(request: HttpRequest, session_id: Any) -> Any:
    from trellis.scheduling.models import Session

    return get_scoped_or_404(request, Session.objects.select_related("site", "site__organization", "program",
                                                                     "facilitator"),
                             session_id, capability=Cap.NOTE_WRITE)


@capability_required(Cap.NOTE_WRITE)
@require_GET
def session_notes(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _load_session(request, session_id)
    from trellis.attendance.models import Attendance

    attendance = list(Attendance.objects.filter(session=session).select_related("episode__patient").order_by("pk"))
    notes = {n.episode_id: n for n in Note.objects.filter(session=session).select_related("author")}
    organization = session.site.organization
    templates = list(selectors.templates_for(organization, services.SERVICE_FALLBACK.get(
        session.service_type, session.service_type)))
    if not templates:
        services.ensure_default_templates(organization=organization)
        templates = list(selectors.templates_for(organization, session.service_type))
    group = session.is_group
    return render(request, "documentation/session_notes.html", {
        "session": session,
        "group": group,
        "attendance": [{"a": a, "attended": a.status in selectors.ATTENDED_STATUSES,
                        "note": notes.get(a.episode_id)} for a in attendance],
        "group_note": notes.get(None),
        "templates": templates,
        "can_write": bool(policies.can_write_for_session(request.user, session)),
        "zone": session.site.zone,
    })


@capability_required(Cap.NOTE_WRITE)
@require_POST
def start(request: HttpRequest, session_id: Any) -> HttpResponse:
    session = _load_session(request, session_id)
    from trellis.attendance.models import Attendance

    template_version = None
    key = request.POST.get("template") or ""
    try:
        if key:
            template_version = services.current_template_version(
                organization=session.site.organization, service_type=session.service_type, key=key)
        attendance = None
        if request.POST.get("attendance"):
            attendance = Attendance.objects.filter(session=session, public_id=request.POST["attendance"]).first()
            if attendance is None:
                raise DomainError("That patient is not on this session.")
        note = services.start_note(session=session, user=request.user, template_version=template_version,
                                   attendance=attendance)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("documentation:session_notes", session_id=session.public_id)
    except (ValueError, DjangoValidationError):
        messages.error(request, "That choice is not valid; reload the page.")
        return redirect("documentation:session_notes", session_id=session.public_id)
    return redirect("documentation:note", note_id=note.public_id)

# ---------------------------------------------------------------------------------------------------------
# The note screen
# ---------------------------------------------------------------------------------------------------------


@capability_required(Cap.NOTE_WRITE)
@require_GET
def note_detail(request: HttpRequest, note_id: Any) -> HttpResponse:
    note = _load_note(request, note_id)
    if not policies.can_view_note(request.user, note):
        raise Http404
    if note.is_draft and policies.can_edit(request.user, note):
        services.sync_roster(note=note, user=request.user)
    ctx = _note_context(request, note)
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
        ctx = _note_context(request, note, shared=parsed.shared, participants=parsed.participants, errors=errors,
                            conflict=conflict, version=conflict.current_version if conflict else parsed.version)
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
            "saved_at": _local(note.updated_at, note.session.site), "version": note.version,
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
        for section, vals in _session_defaults(note).items():
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
    ctx = _note_context(request, note)
    ctx["addendum_form"] = form
    return render(request, "documentation/note.html", ctx, status=400)


# ---------------------------------------------------------------------------------------------------------
# Patient chart tab and prints
# ---------------------------------------------------------------------------------------------------------
def _chart_context(request: HttpRequest, patient: Any) -> dict[str, Any]:
    from trellis.patients.views import chart_context

    return chart_context(request, patient, "notes")


@capability_required(Cap.NOTE_WRITE)
@require_GET
def chart_notes(request: HttpRequest, patient_id: Any) -> HttpResponse:
    # Clinical notes are shown to clinical staff only (HIPAA minimum necessary, 45 CFR 164.502(b), 164.514(d)).
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.NOTE_WRITE)
    # Without a chosen range the tab opens on the last two weeks, so a long stay stays readable.
    from trellis.core.clock import today_in

    default_start = today_in(patient.primary_site.zone) - dt.timedelta(days=DEFAULT_CHART_DAYS)
    form = DateRangeForm(request.GET or None, initial={"start": default_start})
    start, end = (default_start, None) if not request.GET else (None, None)
    if form.is_valid():
        start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    include_drafts = bool(sites_with(request.user, Cap.NOTE_WRITE))
    notes = selectors.patient_notes(patient=patient, start=start, end=end, include_drafts=include_drafts)
    record(action=AuditAction.READ, patient=patient, object_type="documentation.chart_notes",
           detail={"notes": len(notes)})
    items = [_chart_item(cn) for cn in notes]
    ctx = _chart_context(request, patient)
    ctx.update({"items": items, "form": form, "showing_from": start, "default_days": DEFAULT_CHART_DAYS,
                "can_print": any(has_capability(request.user, Cap.NOTE_PRINT, s)
                                 for s in {cn.session.site for cn in notes}) or bool(
                    sites_with(request.user, Cap.NOTE_PRINT))})
    return render(request, "documentation/chart_notes.html", ctx)


def _chart_item(cn: selectors.ChartNote) -> dict[str, Any]:
    return {
        "cn": cn,
        "shared": display_sections(cn.schema, cn.note.shared_content, scope=Scope.SHARED),
        "mine": display_sections(cn.schema, cn.participant.content, scope=Scope.PARTICIPANT,
                                 objective_labels=cn.objectives),
        "zone": cn.session.site.zone,
    }


def _pdf_note(cn: selectors.ChartNote) -> pdfmod.PdfNote:
    zone = cn.session.site.zone
    s, n = cn.session, cn.note
    start, end = timezone.localtime(s.starts_at, zone), timezone.localtime(s.ends_at, zone)
    att = cn.participant.attendance
    attendance = ""
    if att is not None:
        bits = [att.get_status_display() if hasattr(att, "get_status_display") else att.status]
        if getattr(att, "minutes", None) is not None:
            bits.append(f"{att.minutes} min")
        if getattr(att, "modality", ""):
            bits.append(att.get_modality_display() if hasattr(att, "get_modality_display") else att.modality)
        attendance = " · ".join(str(b) for b in bits)

    def sig(x: Any) -> pdfmod.PdfSignature:
        return pdfmod.PdfSignature(label=x.get_kind_display(), signer=x.signer_name, credentials=x.credentials,
                                   signed_at=timezone.localtime(x.signed_at, zone).strftime("%Y-%m-%d %H:%M %Z"),
                                   content_hash=x.content_hash, late=x.is_late)

    return pdfmod.PdfNote(
        title=n.template_version.template.name,
        date_text=start.strftime("%Y-%m-%d (%a)"),
        time_text=f"{start:%H:%M}–{end:%H:%M} {start.tzname()}",
        service=s.get_service_type_display() if hasattr(s, "get_service_type_display") else s.service_type,
        program=s.program.name if s.program_id else "",
        site=s.site.name,
        author=n.author.display_name,
        template=f"{n.template_version.template.name} v{n.template_version.version}",
        status=n.get_status_display(),
        attendance=attendance,
        sections=[*display_sections(cn.schema, n.shared_content, scope=Scope.SHARED),
                  *display_sections(cn.schema, cn.participant.content, scope=Scope.PARTICIPANT,
                                    objective_labels=cn.objectives)],
        signatures=[sig(x) for x in cn.signatures],
        addenda=[pdfmod.PdfAddendum(text=a.text, signature=sig(a.signature)) for a in cn.addenda],
        late=n.is_late,
    )


def _pdf_meta(request: HttpRequest, patient: Any, notes: list[selectors.ChartNote]) -> pdfmod.PdfMeta:
    site = patient.primary_site if getattr(patient, "primary_site_id", None) else (
        notes[0].session.site if notes else None)
    zone = site.zone if site else dt.UTC
    part2 = any(getattr(cn.session.program, "is_part2", False) for cn in notes) or _patient_is_part2(patient)
    return pdfmod.PdfMeta(
        organization=getattr(patient.organization, "name", ""),
        site=getattr(site, "name", ""),
        printed_by=request.user.display_name,
        printed_at=timezone.localtime(timezone.now(), zone).strftime("%Y-%m-%d %H:%M %Z"),
        part2=part2,
    )


def _patient_is_part2(patient: Any) -> bool:
    from trellis.episodes.models import Episode

    return Episode.objects.filter(patient=patient, program__is_part2=True).exists()


def _pdf_patient(patient: Any) -> pdfmod.PdfPatient:
    dob = patient.date_of_birth.isoformat() if getattr(patient, "date_of_birth", None) else ""
    return pdfmod.PdfPatient(name=patient.display_name, mrn=patient.mrn or "", date_of_birth=dob)


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    resp = HttpResponse(data, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="{filename}"'
    resp["Cache-Control"] = "no-store"
    return resp


PDF_COMPRESS = True  # tests may switch this off to read the text


@capability_required(Cap.NOTE_PRINT)
@require_GET
def chart_note_pdf(request: HttpRequest, patient_id: Any, participant_id: Any) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.NOTE_PRINT)
    cn = selectors.chart_note(patient=patient, participant_id=participant_id)
    if cn is None or not policies.can_print(request.user, cn.session.site):
        record(action=AuditAction.DENIED, patient=patient, object_type="documentation.note_pdf", outcome="denied")
        raise Http404
    data = pdfmod.render_note_pdf(patient=_pdf_patient(patient), note=_pdf_note(cn),
                                  meta=_pdf_meta(request, patient, [cn]), compress=PDF_COMPRESS)
    record(action=AuditAction.PRINT, obj=cn.note, patient=patient,
           detail={"participant_note": str(cn.participant.public_id)})
    return _pdf_response(data, "note.pdf")


@capability_required(Cap.NOTE_PRINT)
@require_GET
def chart_notes_pdf(request: HttpRequest, patient_id: Any) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.NOTE_PRINT)
    form = DateRangeForm(request.GET)
    if not form.is_valid():
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
        return redirect("documentation:chart_notes", patient_id=patient.public_id)
    start, end = form.cleaned_data.get("start"), form.cleaned_data.get("end")
    notes = [cn for cn in selectors.patient_notes(patient=patient, start=start, end=end, limit=1000)
             if policies.can_print(request.user, cn.session.site)]
    period = f"{start.isoformat() if start else 'first note'} to {end.isoformat() if end else 'today'}"
    data = pdfmod.render_notes_pdf(patient=_pdf_patient(patient), notes=[_pdf_note(cn) for cn in notes],
                                   meta=_pdf_meta(request, patient, notes), period=period, compress=PDF_COMPRESS)
    record(action=AuditAction.PRINT, patient=patient, object_type="documentation.notes_pdf",
           detail={"notes": len(notes), "start": start.isoformat() if start else None,
                   "end": end.isoformat() if end else None})
    return _pdf_response(data, "notes.pdf")


# ---------------------------------------------------------------------------------------------------------
# Private notes (author only)
# ---------------------------------------------------------------------------------------------------------
@capability_required(Cap.NOTE_WRITE)
@require_GET
def private_list(request: HttpRequest) -> HttpResponse:
    notes = list(selectors.private_notes_for(request.user).order_by("-created_at")[:200])
    return render(request, "documentation/private_list.html", {"notes": notes})


@capability_required(Cap.NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def private_new(request: HttpRequest, patient_id: Any) -> HttpResponse:
    patient = get_scoped_or_404(request, Patient, patient_id, capability=Cap.NOTE_WRITE)
    from trellis.episodes.models import Episode

    episode = (Episode.objects.filter(patient=patient, program__site__in=sites_with(request.user, Cap.NOTE_WRITE))
               .select_related("program__site", "patient").order_by("-admitted_on").first())
    if episode is None:
        messages.error(request, "This patient has no episode of care at your sites.")
        return redirect("documentation:chart_notes", patient_id=patient.public_id)
    form = PrivateNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.create_private_note(author=request.user, episode=episode, text=form.cleaned_data["text"],
                                         kind=form.cleaned_data["kind"])
        except DomainError as exc:
            form.add_error(exc.field if getattr(exc, "field", None) in form.fields else None, str(exc))
        else:
            messages.success(request, "Private note saved. Only you can see it.")
            return redirect("documentation:private_list")
    return render(request, "documentation/private_form.html", {"form": form, "patient": patient}, status=(
        400 if request.method == "POST" else 200))


@capability_required(Cap.NOTE_WRITE)
@require_http_methods(["GET", "POST"])
def private_edit(request: HttpRequest, private_id: Any) -> HttpResponse:
    pn = PrivateNote.objects.select_related("episode__patient").filter(public_id=private_id).first()
    if pn is None or not policies.can_use_private_note(request.user, pn):
        record(action=AuditAction.DENIED, object_type="documentation.private_note", outcome="denied")
        raise Http404
    form = PrivateNoteForm(request.POST or None,
                           initial={"kind": pn.kind, "text": pn.text, "version": pn.version})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_private_note(private_note=pn, user=request.user, text=form.cleaned_data["text"],
                                         expected_version=form.cleaned_data.get("version") or 0)
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Private note saved.")
            return redirect("documentation:private_list")
    else:
        record(action=AuditAction.READ, obj=pn, patient=pn.episode.patient)
    return render(request, "documentation/private_form.html", {"form": form, "patient": pn.episode.patient,
                                                                "private_note": pn})


def note_url(note: Note) -> str:
    return reverse("documentation:note", kwargs={"note_id": note.public_id})



# ---------------------------------------------------------------------------------------------------------
# Note templates (the organization defines sections and fields; every change is a new version)
# ---------------------------------------------------------------------------------------------------------
def _org_templates(request: HttpRequest) -> Any:
    from .models import NoteTemplate

    org_ids = {s.organization_id for s in sites_with(request.user, Cap.PROGRAM_MANAGE)}
    return NoteTemplate.objects.filter(organization_id__in=org_ids)


@capability_required(Cap.PROGRAM_MANAGE)
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest) -> HttpResponse:
    from trellis.programs.models import ServiceType

    organization = request.user.organization
    if organization is not None and not _org_templates(request).exists():
        services.ensure_default_templates(organization=organization)
    templates = list(_org_templates(request).prefetch_related("versions").order_by("service_type", "-is_default",
                                                                                   "name"))
    form = TemplateCreateForm(request.POST or None, templates=templates, service_types=ServiceType.choices)
    if request.method == "POST" and form.is_valid():
        source = next(t for t in templates if str(t.public_id) == form.cleaned_data["copy_from"])
        try:
            template = services.create_template(
                organization=source.organization, user=request.user, key=form.cleaned_data["key"],
                name=form.cleaned_data["name"], service_type=form.cleaned_data["service_type"], copy_from=source,
                make_default=form.cleaned_data["make_default"])
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, "Template created. Edit its sections below; saving publishes a new version.")
            return redirect("documentation:template_detail", template_id=template.public_id)
    return render(request, "documentation/template_list.html", {"templates": templates, "form": form},
                  status=400 if request.method == "POST" else 200)


@capability_required(Cap.PROGRAM_MANAGE)
@require_http_methods(["GET", "POST"])
def template_detail(request: HttpRequest, template_id: Any) -> HttpResponse:
    import json

    template = _org_templates(request).filter(public_id=template_id).first()
    if template is None:
        raise Http404
    versions = list(template.versions.order_by("-version"))
    latest = versions[0] if versions else None
    schema_text = json.dumps(latest.schema if latest else {}, indent=2, ensure_ascii=False)
    error = ""
    if request.method == "POST":
        schema_text = request.POST.get("schema", "")
        try:
            data = json.loads(schema_text)
            if not isinstance(data, dict):
                raise ValueError("The definition must be a JSON object.")
            services.publish_template_version(template=template, schema=data, user=request.user)
        except (ValueError, DomainError) as exc:
            error = str(exc)
        else:
            messages.success(request, "New version published. Notes already written keep their version.")
            return redirect("documentation:template_detail", template_id=template.public_id)
    preview = []
    if latest is not None:
        schema = latest.parsed
        preview = [("Shared section", build_sections(schema, Scope.SHARED, {}, prefix="preview-s-")),
                   ("Each patient", build_sections(schema, Scope.PARTICIPANT, {}, prefix="preview-p-"))]
    return render(request, "documentation/template_detail.html", {
        "template": template, "versions": versions, "latest": latest, "schema_text": schema_text, "error": error,
        "preview": preview,
    }, status=400 if error else 200)
