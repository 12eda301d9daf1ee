"""The project's URLs plus the framework floor: a minimal authenticated page measured in the same run."""

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import path

from trellis.accounts.capabilities import DataCategory
from trellis.accounts.policies import login_required_view
from trellis.config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from trellis.config.urls import urlpatterns as project

_FLOOR = engines["django"].from_string(
    '{% extends "web/base.html" %}{% block title %}Floor{% endblock %}{% block content %}<p>ok</p>{% endblock %}'
)


@login_required_view
def floor(request: HttpRequest) -> HttpResponse:
    """Every middleware, the session, the signed-in user and the page shell (navigation, branding): what any
    page pays before it does its own work."""
    return HttpResponse(_FLOOR.render({}, request))


# A bench-only page, not a product route: it carries its category (no patient data) on the view, as the browser
# tests' pages do, so DataCategoryMiddleware lets it through instead of refusing it (a refused floor is no floor).
floor.data_category = DataCategory.NONE  # type: ignore[attr-defined]


urlpatterns = [path("bench/floor/", floor, name="bench_floor"), *project]
