"""URLs of e-ID sign-in and sign-out, mounted at ``/api/v1/identity/`` next to the
identity registry's."""

from django.urls import URLPattern, URLResolver, path

from registries.access import signin

app_name = "access"
urlpatterns: list[URLPattern | URLResolver] = [
    path("sign-in/challenge/", signin.ChallengeView.as_view(), name="sign-in-challenge"),
    path("sign-in/", signin.SignInView.as_view(), name="sign-in"),
    path("sign-out/", signin.SignOutView.as_view(), name="sign-out"),
]
