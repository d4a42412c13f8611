from django.urls import URLPattern, URLResolver

app_name = "identity"
urlpatterns: list[URLPattern | URLResolver] = []
