"""Program, track and room setup pages (the program director's "Programs & rooms")."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.core.access import get_scoped_or_404
from trellis.core.errors import DomainError
from trellis.core.forms import apply_domain_error
from trellis.programs import forms, services
from trellis.programs.models import Program, Room, Track


@capability_required(Cap.PROGRAM_MANAGE)
def setup(request: HttpRequest) -> HttpResponse:
    programs = list(Program.objects.restrict(request.user, Cap.PROGRAM_MANAGE).select_related("site")
                    .prefetch_related("tracks"))
    rooms = list(Room.objects.restrict(request.user, Cap.PROGRAM_MANAGE).select_related("site"))
    return render(request, "programs/setup.html", {"programs": programs, "rooms": rooms})


def _program_form_initial(program: Program) -> dict[str, Any]:
    initial = {name: getattr(program, name) for name in services.PROGRAM_FIELDS} | {"site": program.site_id}
    for switch in ("is_part2", "requires_certification"):
        initial[switch] = "yes" if initial[switch] else "no"
    return initial


@capability_required(Cap.PROGRAM_MANAGE)
def program_edit(request: HttpRequest, program_id: Any = None) -> HttpResponse:
    sites = sites_with(request.user, Cap.PROGRAM_MANAGE)
    program = None
    if program_id is not None:
        program = get_scoped_or_404(request, Program.objects.select_related("site"), program_id,
                                    capability=Cap.PROGRAM_MANAGE)
    form = forms.ProgramForm(request.POST or None, sites=sites,
                             initial=_program_form_initial(program) if program else None)
    if program is not None:
        form.fields["site"].disabled = True
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        site = program.site if program else d.pop("site")
        d.pop("site", None)
        try:
            services.save_program(user=request.user, site=site, program=program, **d)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Program saved.")
            return redirect("programs:setup")
    return render(request, "programs/setup_form.html", {"form": form, "what": "program", "obj": program})


@capability_required(Cap.PROGRAM_MANAGE)
def track_edit(request: HttpRequest, program_id: Any = None, track_id: Any = None) -> HttpResponse:
    track = None
    if track_id is not None:
        track = get_scoped_or_404(request, Track.objects.select_related("program__site"), track_id,
                                  capability=Cap.PROGRAM_MANAGE)
        program = track.program
    else:
        program = get_scoped_or_404(request, Program.objects.select_related("site"), program_id,
                                    capability=Cap.PROGRAM_MANAGE)
    initial = {"name": track.name, "kind": track.kind, "description": track.description,
               "active": track.active} if track else None
    form = forms.TrackForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_track(user=request.user, program=program, track=track, **form.cleaned_data)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Track saved.")
            return redirect("programs:setup")
    return render(request, "programs/setup_form.html", {"form": form, "what": "track", "obj": track,
                                                          "program": program})


@capability_required(Cap.PROGRAM_MANAGE)
def room_edit(request: HttpRequest, room_id: Any = None) -> HttpResponse:
    sites = sites_with(request.user, Cap.PROGRAM_MANAGE)
    room = None
    if room_id is not None:
        room = get_scoped_or_404(request, Room.objects.select_related("site"), room_id,
                                 capability=Cap.PROGRAM_MANAGE)
    initial = {"site": room.site_id, "name": room.name, "capacity": room.capacity, "active": room.active} if room else None
    form = forms.RoomForm(request.POST or None, sites=sites, initial=initial)
    if room is not None:
        form.fields["site"].disabled = True
    if request.method == "POST" and form.is_valid():
        d = dict(form.cleaned_data)
        site = room.site if room else d["site"]
        d.pop("site", None)
        try:
            services.save_room(user=request.user, site=site, room=room, **d)
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            messages.success(request, "Room saved.")
            return redirect("programs:setup")
    return render(request, "programs/setup_form.html", {"form": form, "what": "room", "obj": room})
