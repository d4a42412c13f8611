"""A request made with a token acts only in the token's role, everywhere.

Views, applications and read rules ask the identity registry whether a person
holds a role (``has_role``, ``is_official``), often far from the request. This
middleware serves each request carrying an e-ID sign-in token or a static API
token (:mod:`registries.access.api_tokens`) inside
:func:`registries.identity.services.acting_only_as`: the token's holder holds no
role but the one the token was issued for, so a citizen token of a doctor reads
no patient's record, wherever that rule is checked. Sessions are narrowed by
the admin's own sign-in (:mod:`registries.access.admin_signin`).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from registries.access.api_tokens import ApiTokenAuthentication
from registries.access.tokens import SignInTokenAuthentication
from registries.identity.services import acting_only_as, official_code_of


def token_role(request: HttpRequest) -> tuple[str, str] | None:
    """(personal code, the token's role or "") for a request with a valid sign-in or
    static token of a person; None for any other request (the view answers a bad
    token itself)."""
    drf_request = Request(request)
    try:
        # The checks are the view's own, kept on the request by each authentication.
        found = SignInTokenAuthentication().authenticate(
            drf_request
        ) or ApiTokenAuthentication().authenticate(drf_request)
    except AuthenticationFailed:
        return None
    if found is None:
        return None
    user, token = found
    code = official_code_of(user)
    return (code, token.role) if code is not None else None


class TokenRoleMiddleware:
    """Serves a request made with a person's token within the token's role."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """The response, computed with the token holder narrowed to the token's role."""
        narrowed = token_role(request)
        if narrowed is None:
            return self.get_response(request)
        with acting_only_as(*narrowed):
            return self.get_response(request)
