"""Friendly error pages render (DEBUG off) and never turn into a 500 themselves."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory

from trellis.web import errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_like(settings):
    settings.DEBUG = False


def test_404_anonymous_and_signed_in(client, client_for, make_staff):
    for c in (client, client_for(make_staff("therapist"))):
        response = c.get("/no/such/page/")
        assert response.status_code == 404
        html = response.content.decode()
        assert "We could not find that page" in html
        assert "<title>Not found · Trellis</title>" in html
        assert 'href="/"' in html


def test_403_for_wrong_role(client_for, make_staff):
    response = client_for(make_staff("therapist")).get("/audit/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_400_handler():
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = errors.bad_request(request, Exception("bad"))
    assert response.status_code == 400
    assert "We could not process that request" in response.content.decode()


def test_500_is_standalone_and_needs_no_database(django_assert_num_queries):
    request = RequestFactory().get("/")
    with django_assert_num_queries(0):
        response = errors.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "/static/web/css/trellis.css" in html


def test_csrf_failure_is_friendly(make_staff):
    user = make_staff("therapist")
    c = Client(enforce_csrf_checks=True)
    c.force_login(user)
    response = c.post("/accounts/logout/")
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
