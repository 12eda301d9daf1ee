from django.urls import include, path

APPS_WITH_URLS = [
    "accounts",
    "audit",
    "patients",
    "programs",
    "scheduling",
    "attendance",
    "referrals",
    "consents",
    "careplans",
    "documentation",
    "coverage",
    "compliance",
    "billing",
    "telehealth",
    "outcomes",
]

urlpatterns = [
    path("", include("trellis.web.urls")),
    # Episode routes keep the paths they had under /programs/ and /referrals/ (see trellis/episodes/urls.py).
    path("", include("trellis.episodes.urls")),
    *[path(f"{label}/", include(f"trellis.{label}.urls")) for label in APPS_WITH_URLS],
]

handler400 = "trellis.web.errors.bad_request"
handler403 = "trellis.web.errors.permission_denied"
handler404 = "trellis.web.errors.page_not_found"
handler500 = "trellis.web.errors.server_error"
