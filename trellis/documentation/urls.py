app_name = "documentation"

urlpatterns: list = []
