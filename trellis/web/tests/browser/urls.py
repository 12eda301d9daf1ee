"""URLconf for the web browser tests: the real site plus the style guide and a failing htmx endpoint."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.generic import TemplateView

from trellis.accounts.capabilities import DataCategory
from trellis.accounts.policies import login_required_view
from trellis.config.urls import urlpatterns as site_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    return HttpResponse("nope", status=500)


def invalid(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        '<p class="field-error" id="swapped">Enter a whole number of minutes.</p>', status=422
    )


def _no_patient_data(view):  # test-only pages carry their category (none) on the view
    view.data_category = DataCategory.NONE
    return view


urlpatterns = [
    *site_urlpatterns,
    path("__styleguide__/", _no_patient_data(login_required_view(
        TemplateView.as_view(template_name="web/styleguide.html")))),
    path("__boom__/", _no_patient_data(boom)),
    path("__invalid__/", _no_patient_data(invalid)),
]
