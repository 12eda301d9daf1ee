"""Screen: note templates (the organization defines sections and fields; every change is a new version)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from trellis.accounts.capabilities import Cap
from trellis.accounts.policies import capability_required, sites_with
from trellis.core.errors import DomainError
from trellis.programs.models import ServiceType

from .. import services
from ..forms import TemplateCreateForm, build_sections
from ..models import NoteTemplate
from ..note_schema import Scope


def _org_templates(request: HttpRequest) -> Any:
    org_ids = {s.organization_id for s in sites_with(request.user, Cap.PROGRAM_MANAGE)}
    return NoteTemplate.objects.filter(organization_id__in=org_ids)


@capability_required(Cap.PROGRAM_MANAGE)
@require_http_methods(["GET", "POST"])
def template_list(request: HttpRequest) -> HttpResponse:
    # The shipped templates were installed when the organization was created; this page only reads them.
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
