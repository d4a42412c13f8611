"""Officials sign in to the admin with their e-ID key, for one role.

The admin's login page (``admin/login.html``) asks for the official's personal
code, the role they act in and their key file. The browser asks the API for a
sign-in challenge (:class:`registries.access.signin.ChallengeView`), signs its
message with the key (WebCrypto Ed25519: the key never leaves the browser)
and posts the signature here. :func:`registries.access.signin.check_signed_challenge`
checks it exactly as the API's sign-in does (the person's current key, the
appointment, failures counted). The session is then bound to that role
(:data:`registries.access.roles.SESSION_ROLE`); :class:`SessionRoleMiddleware`
serves every request of the session within
:func:`registries.identity.services.acting_only_as` that role, so every role
check (the admin's ``can_act`` and ``has_*_permission``, ``user_has_role``,
``has_role`` wherever it is asked) honours that role alone.

A person who holds no official's role but represents an organisation (a
bank's or the central bank's official: ``money`` acts for organisations, ADR
0082) signs in as :data:`REPRESENTATIVE`: the challenge is checked without a
role, the sign-in is refused unless they currently represent an organisation,
and the session acts in no official's role at all (``acting_only_as`` that
name, which no appointment has), so only what the person may do for the
organisations they represent is open to them.

A newly appointed official signs in at once: their Django user is created, as
staff, on their first e-ID sign-in. Passwords are off (``RIIK_ADMIN_PASSWORDS``
False): the page offers no password form and a posted password is refused.
Turned on, a password signs in a superuser only (break glass), never an
official.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model, login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from rest_framework.exceptions import APIException

from registries.access.roles import SESSION_ROLE
from registries.access.signin import check_signed_challenge
from registries.common.codes import InvalidCodeError, validate_personal_code
from registries.identity.services import (
    acting_only_as,
    official_code_of,
    represents_an_organisation,
)
from registries.identity.vocabulary import ROLE_REGISTRIES

__all__ = [
    "REPRESENTATIVE",
    "AdminSignInForm",
    "SessionRoleMiddleware",
    "admin_login",
    "role_choices",
    "sign_in_choices",
]

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"

ROLE_NAMES = {
    "registrar": gettext_lazy("registrar"),
    "judge": gettext_lazy("judge"),
    "investigator": gettext_lazy("investigator"),
    "notary": gettext_lazy("notary"),
    "doctor": gettext_lazy("doctor"),
    "pharmacist": gettext_lazy("pharmacist"),
    "auditor": gettext_lazy("auditor"),
}
REGISTRY_NAMES = {
    "identity": gettext_lazy("Identity"),
    "business": gettext_lazy("Business"),
    "property": gettext_lazy("Property"),
    "court": gettext_lazy("Court"),
    "health": gettext_lazy("Health"),
}


REPRESENTATIVE = "organisation/representative"
"""The admin's sign-in choice of a representative of an organisation: no official's role."""


def role_choices() -> list[tuple[str, str]]:
    """Every role an official can hold, as ``registry/role`` with its name in words."""
    return [
        (f"{registry}/{role}", f"{REGISTRY_NAMES[registry]}: {ROLE_NAMES[role]}")
        for role, registries in ROLE_REGISTRIES.items()
        for registry in sorted(registries)
    ]


def sign_in_choices() -> list[tuple[str, str]]:
    """What the login page offers: every official's role, then acting for an organisation."""
    return [
        *role_choices(),
        (REPRESENTATIVE, _("Representative of an organisation (a bank, the central bank)")),
    ]


class AdminSignInForm(forms.Form):
    """What the login page posts: who, in which role, and the signed challenge."""

    personal_code = forms.CharField(label=gettext_lazy("Personal code"), max_length=11)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=sign_in_choices)
    nonce = forms.CharField(max_length=64, widget=forms.HiddenInput)
    signature = forms.CharField(max_length=200, widget=forms.HiddenInput)

    def clean_personal_code(self) -> str:
        """A well-formed personal code (11 digits with a check digit)."""
        code = str(self.cleaned_data["personal_code"]).strip()
        try:
            validate_personal_code(code)
        except InvalidCodeError as error:
            raise forms.ValidationError(str(error)) from None
        return code


def _next_url(request: HttpRequest) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("admin:index")


def _sign_in_with_e_id(request: HttpRequest, form: AdminSignInForm) -> HttpResponse | None:
    """Sign the official in for the chosen role, or put the refusal on the form."""
    code = form.cleaned_data["personal_code"]
    role = form.cleaned_data["role"]
    official_role = "" if role == REPRESENTATIVE else role
    try:
        check_signed_challenge(
            request, code, form.cleaned_data["nonce"], form.cleaned_data["signature"], official_role
        )
    except APIException as error:
        form.add_error(None, str(error.detail))
        return None
    if role == REPRESENTATIVE and not represents_an_organisation(code):
        form.add_error(
            None,
            _(
                "You represent no organisation: an identity registrar records an "
                "organisation's representatives (Identity registry → Organisation "
                "representatives)."
            ),
        )
        return None
    user, created = get_user_model().objects.get_or_create(username=code)
    if created:
        user.set_unusable_password()
    # Holding a current appointment (just checked) is what makes an official staff.
    user.is_staff = True
    user.save()
    login(request, user, backend=MODEL_BACKEND)
    request.session[SESSION_ROLE] = role
    return HttpResponseRedirect(_next_url(request))


def _sign_in_with_password(
    request: HttpRequest, form: AdminAuthenticationForm
) -> HttpResponse | None:
    """Break glass: a superuser's password, only while ``RIIK_ADMIN_PASSWORDS`` is on."""
    if not form.is_valid():
        return None
    user = form.get_user()
    if not user.is_superuser:
        form.add_error(None, _("Officials sign in with their e-ID key, not a password."))
        return None
    login(request, user)
    return HttpResponseRedirect(_next_url(request))


@sensitive_post_parameters()
@csrf_protect
@never_cache
def admin_login(request: HttpRequest) -> HttpResponse:
    """``/admin/login/``: e-ID sign-in for officials (and a break-glass password, if on)."""
    passwords = bool(settings.RIIK_ADMIN_PASSWORDS)
    e_id = AdminSignInForm(request.POST if request.method == "POST" else None)
    password_form = AdminAuthenticationForm(request) if passwords else None
    refused = ""
    if request.method == "POST":
        if "password" in request.POST:
            if password_form is None:
                refused = _("Password sign-in is off: sign in with your e-ID key.")
            else:
                password_form = AdminAuthenticationForm(request, data=request.POST)
                done = _sign_in_with_password(request, password_form)
                if done is not None:
                    return done
            e_id = AdminSignInForm()
        elif e_id.is_valid():
            done = _sign_in_with_e_id(request, e_id)
            if done is not None:
                return done
    context = {
        **admin.site.each_context(request),
        "title": _("Sign in with your e-ID"),
        "form": e_id,
        "password_form": password_form,
        "refused": refused,
        "next": _next_url(request),
        "challenge_url": reverse("access:sign-in-challenge"),
    }
    return TemplateResponse(request, "admin/login.html", context)


class SessionRoleMiddleware:
    """Serves each request of an admin session signed in with the e-ID within the
    role chosen: the official holds no other role while it is served."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        """The response, computed with the official narrowed to the session's role."""
        role: Any = request.session.get(SESSION_ROLE, "")
        # Signing in again, perhaps in another role, is checked against the appointments.
        signing_in = request.path == reverse("admin-login")
        code = official_code_of(request.user) if role and not signing_in else None
        if code is None:
            return self.get_response(request)
        with acting_only_as(code, str(role)):
            return self.get_response(request)
