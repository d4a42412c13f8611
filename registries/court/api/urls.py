from django.urls import URLPattern, URLResolver

app_name = "court"
urlpatterns: list[URLPattern | URLResolver] = []
