"""Install the shipped note templates for organizations created before templates were installed at organization
creation (pages used to create them when first viewed). Idempotent: existing templates are left as they are."""

from django.db import migrations

from trellis.documentation.default_templates import DEFAULT_TEMPLATE_FOR_SERVICE, DEFAULT_TEMPLATES


def install(apps, schema_editor):
    Organization = apps.get_model("accounts", "Organization")
    NoteTemplate = apps.get_model("documentation", "NoteTemplate")
    NoteTemplateVersion = apps.get_model("documentation", "NoteTemplateVersion")
    defaults = set(DEFAULT_TEMPLATE_FOR_SERVICE.items())
    for organization in Organization.objects.all():
        has_default = set(NoteTemplate.objects.filter(organization=organization, is_default=True)
                          .values_list("service_type", flat=True))
        for data in DEFAULT_TEMPLATES:
            service_type = data["service_types"][0]
            template, created = NoteTemplate.objects.get_or_create(
                organization=organization,
                key=data["key"],
                defaults={"name": data["name"], "service_type": service_type, "format": data.get("format", ""),
                          "is_default": (service_type, data["key"]) in defaults and service_type not in has_default},
            )
            if created and template.is_default:
                has_default.add(service_type)
            if not NoteTemplateVersion.objects.filter(template=template).exists():
                NoteTemplateVersion.objects.create(template=template, version=1, schema=data)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staffprofile_is_physician"),
        ("documentation", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
