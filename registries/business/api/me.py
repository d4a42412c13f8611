"""The business registry for the signed-in citizen.

``/api/v1/me/companies/``: the companies I founded or whose board I sit on.
``/api/v1/me/organisation/``: with an organisation token, the organisation it acts
for: a company's registry card, or (a court, hospital, ministry, ...) the identity
registry's card with its current representatives.
E-services (``/api/v1/business/e-services/...``), each a signed command
(:mod:`registries.access.signing`), fee-free:

* register a company online: I am a founder; every founder and board member signs;
* change my company's board: I sit on the board; I and every new member sign.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from registries.access.me import (
    ChainField,
    ChainPositionsMixin,
    MyDataPermission,
    MyFeedPagination,
    my_code,
)
from registries.access.signing import SignedCommandMixin, signatures_field
from registries.access.tokens import acting_organisation
from registries.business.api.serializers import (
    BoardChangeSerializer,
    CompanyDetailSerializer,
    RegistrationSerializer,
)
from registries.business.api.views import company_record, detail_response
from registries.business.application import BusinessRegistry, Registration
from registries.business.models import CompanyPerson, CompanyRecord
from registries.business.projections import PROJECTIONS
from registries.common.api import validated
from registries.common.api.problems import problem_responses
from registries.common.codes import checked_registry_code
from registries.common.commands import issue
from registries.identity.models import OrganisationRecord
from registries.identity_desk.api.me import MyOrganisationCardSerializer

REGISTRY = "business"


class MyCompanySerializer(serializers.ModelSerializer[CompanyRecord]):
    status = serializers.CharField(help_text="active, in_liquidation or deleted")
    my_roles = serializers.SerializerMethodField(help_text="founder and/or board")
    chain = ChainField()

    class Meta:
        model = CompanyRecord
        fields = [
            "registry_code",
            "name",
            "legal_form",
            "status",
            "share_capital_cents",
            "address",
            "registered_on",
            "my_roles",
            "chain",
        ]

    def get_my_roles(self, company: Any) -> list[str]:
        """My roles in this company (annotated by :class:`MyCompaniesView`)."""
        roles = (
            (CompanyPerson.BOARD, company.i_am_board),
            (CompanyPerson.FOUNDER, company.i_found),
        )
        return [role for role, mine in roles if mine]


class MyCompaniesView(ChainPositionsMixin[CompanyRecord], ListAPIView[CompanyRecord]):
    """Companies I founded or whose management board I sit on."""

    permission_classes = [MyDataPermission]
    serializer_class = MyCompanySerializer
    pagination_class = MyFeedPagination
    throttle_scope = "me"

    def get_queryset(self) -> QuerySet[CompanyRecord]:
        code = my_code(self.request)
        mine = CompanyPerson.objects.filter(personal_code=code)
        # My roles come with the companies, in the same query.
        return CompanyRecord.objects.filter(pk__in=mine.values("company_id")).annotate(
            i_found=Exists(mine.filter(company=OuterRef("pk"), role=CompanyPerson.FOUNDER)),
            i_am_board=Exists(mine.filter(company=OuterRef("pk"), role=CompanyPerson.BOARD)),
        )

    @extend_schema(tags=["me"], summary="My companies and board seats, with chain proofs")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


MY_ORGANISATION = PolymorphicProxySerializer(
    component_name="MyOrganisation",
    serializers=[CompanyDetailSerializer, MyOrganisationCardSerializer],
    resource_type_field_name=None,
)


class MyOrganisationView(GenericAPIView[CompanyRecord]):
    """The organisation a token acts for: a company's full registry card, or the
    identity registry's card (with its current representatives) of any other."""

    permission_classes = [MyDataPermission]
    serializer_class = CompanyDetailSerializer
    throttle_scope = "me"

    @extend_schema(
        tags=["me"],
        summary="The organisation I act for (an organisation token): a company's card "
        "with its annual reports, or another organisation's card with its representatives",
        responses={200: MY_ORGANISATION, **problem_responses(401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        organisation = acting_organisation(request)
        if organisation is None:
            raise PermissionDenied(
                gettext(
                    "only a token signed in for an organisation acts for one; sign in with "
                    "'organisation': <registry code>"
                )
            )
        if CompanyRecord.objects.filter(registry_code=organisation).exists():
            return detail_response(request, organisation)
        record = OrganisationRecord.objects.filter(registry_code=organisation).first()
        if record is None:
            raise NotFound(
                gettext("no organisation with registry code {organisation}").format(
                    organisation=organisation
                )
            )
        return Response(MyOrganisationCardSerializer(record).data)


class SignedRegistrationSerializer(RegistrationSerializer):
    """A company registration with every founder's and board member's signature."""

    signatures = signatures_field()


class SignedBoardChangeSerializer(BoardChangeSerializer):
    """A new board with the signatures of the applicant and every new member."""

    signatures = signatures_field()


class RegisterCompanyOnline(SignedCommandMixin, GenericAPIView[CompanyRecord]):
    """Register a company online (fee-free): the founders and board members sign."""

    permission_classes = [MyDataPermission]
    serializer_class = SignedRegistrationSerializer
    signed_registry = REGISTRY
    signed_command = "register-company"

    @extend_schema(
        tags=["e-services"],
        summary="Register a company online; every founder and board member signs",
        responses={201: CompanyDetailSerializer, **problem_responses(400, 401, 403, 409, 429)},
    )
    def post(self, request: Request) -> Response:
        code = my_code(request)
        data = validated(SignedRegistrationSerializer, request.data)
        data.pop("signatures")
        if code not in data["founders"]:
            raise PermissionDenied(
                gettext("you can register online only a company you found yourself")
            )
        registration = Registration(**data)
        today = timezone.localdate()
        with self.verified(request, {*data["founders"], *data["board"]}) as signatures:
            company = issue(
                BusinessRegistry,
                PROJECTIONS,
                lambda app: app.register_company(registration, code, today, signatures),
            )
        location = request.build_absolute_uri(reverse("business:company-detail", args=[company]))
        return detail_response(request, company, status.HTTP_201_CREATED, {"Location": location})


class ChangeMyBoard(SignedCommandMixin, GenericAPIView[CompanyRecord]):
    """Change the board of a company I sit on: I and every new member sign."""

    permission_classes = [MyDataPermission]
    serializer_class = SignedBoardChangeSerializer
    signed_registry = REGISTRY
    signed_command = "change-board"

    @extend_schema(
        tags=["e-services"],
        summary="Change my company's management board; I and every new member sign",
        responses={200: CompanyDetailSerializer, **problem_responses(400, 401, 403, 404, 409, 429)},
    )
    def post(self, request: Request, code: str) -> Response:
        me = my_code(request)
        checked_registry_code(code)
        data = validated(SignedBoardChangeSerializer, request.data)
        company = company_record(code)
        board = {p.personal_code for p in company.people.all() if p.role == CompanyPerson.BOARD}
        if me not in board:
            raise PermissionDenied(
                gettext("only a member of the company's board may change it online")
            )
        members: list[str] = data["members"]
        with self.verified(request, {me, *(set(members) - board)}) as signatures:
            issue(
                BusinessRegistry,
                PROJECTIONS,
                lambda app: app.change_board(code, members, me, signatures),
            )
        return detail_response(request, code)
