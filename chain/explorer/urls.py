"""``/explorer/``: the page and its assets."""

from django.urls import path, re_path

from chain.explorer import views

app_name = "explorer"
urlpatterns = [
    path("", views.index, name="index"),
    re_path(r"^assets/(?P<name>explorer\.(?:js|css))$", views.asset, name="asset"),
]
