"""factory_boy factories for the foundation models, shared by every app's tests."""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from trellis.accounts.models import Organization, Site, SiteMembership, StaffProfile, User
from trellis.accounts.services import create_organization
from trellis.patients.models import Patient, PatientSite

# Valid NPIs (Luhn over 80840 + digits), computed once.
TEST_NPIS = ["1234567893", "1245319599", "1679576722", "1003000126", "1932102084"]


class OrganizationFactory(DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    relax_mfa_in_dev = False

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: object) -> Organization:  # noqa: ARG003
        # Through the service, as in production, so that every app's per-organization defaults are installed.
        return create_organization(**kwargs)  # type: ignore[arg-type]


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    code = factory.Sequence(lambda n: f"S{n}")
    address_line1 = "100 Main St"
    city = "Springfield"
    state = "NY"
    postal_code = "12345"
    time_zone = "America/New_York"
    phone = "(555) 234-5678"
    npi = "1234567893"
    tax_id = "12-3456789"
    display_name = factory.SelfAttribute("name")


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Staff Member {n}")
    organization = factory.SubFactory(OrganizationFactory)
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: ANN001, ANN202, N805
        if create:
            obj.save()


def make_staff(role: str, site: Site, **extra: object) -> User:
    user = UserFactory(organization=site.organization, **extra)
    SiteMembership.objects.create(user=user, site=site, role=role)
    StaffProfile.objects.create(
        user=user,
        credentials={"therapist": "LCSW", "prescriber": "MD"}.get(role, ""),
        is_physician=role == "prescriber",
    )
    return user


class PatientFactory(DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    organization = factory.SelfAttribute("primary_site.organization")
    primary_site = factory.SubFactory(SiteFactory)
    mrn = factory.Sequence(lambda n: f"{900000 + n}")
    legal_first_name = factory.Faker("first_name")
    legal_last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_between", start_date=dt.date(1950, 1, 1), end_date=dt.date(2008, 1, 1))
    sex_at_birth = "F"

    @factory.post_generation
    def link_site(obj, create, extracted, **kwargs):  # noqa: ANN001, ANN202, N805
        if create:
            PatientSite.objects.get_or_create(patient=obj, site=obj.primary_site)
