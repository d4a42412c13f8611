"""Serializers of the land register API.

Read serializers render the title register from the read models (with each
entry's ledger seq and the unit's place on the chain); command serializers
check types and shapes at the edge. The register's rules (cadastral codes,
shares adding up to exactly one, who owns what, the notary's endorsement) are
the aggregate's and the application's business and come back as registry
errors.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from registries.common.api.serializers import (
    StrictCharField,
    StrictIntegerField,
    enum_field,
    history_entry_serializer,
    ledger_history,
    ledger_status_serializer,
    names_field,
    shows_names,
)
from registries.common.statuses import record_ledger_status
from registries.identity.services import names_of
from registries.property.endorsement import transfer_message
from registries.property.models import (
    LandUnitRecord,
    MortgageRecord,
    OwnershipRecord,
    RestrictionRecord,
    TransferRecord,
)
from registries.property.vocabulary import (
    MAX_ADDRESS_LENGTH,
    MAX_AREA_M2,
    MAX_CENTS,
    MAX_OWNERS,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    PURPOSES,
    RESTRICTION_KINDS,
)

REGISTRY = "property"


def purpose_field(**kwargs: Any) -> serializers.ChoiceField:
    return enum_field(
        "PropertyPurpose",
        list(PURPOSES),
        "Intended purpose of the land: " + ", ".join(f"{k} ({v})" for k, v in PURPOSES.items()),
        **kwargs,
    )


def restriction_kind_field(**kwargs: Any) -> serializers.ChoiceField:
    return enum_field(
        "PropertyRestrictionKind",
        list(RESTRICTION_KINDS),
        "Part III entry a registrar enters (seizure notes come only from court orders): "
        + ", ".join(f"{k} ({v})" for k, v in RESTRICTION_KINDS.items()),
        **kwargs,
    )


def code_field(help_text: str) -> StrictCharField:
    return StrictCharField(max_length=11, help_text=help_text)


def cadastral_code_field(**kwargs: Any) -> StrictCharField:
    return StrictCharField(
        max_length=40, help_text="Cadastral code such as 78401:101:0010", **kwargs
    )


def signed_message(record: TransferRecord) -> str:
    """The canonical text the notary signed, rebuilt from the recorded transfer."""
    return transfer_message(
        cadastral_code=record.unit_id,
        sellers=list(record.sellers),
        buyers=[(b["owner"], b["share"]) for b in record.buyers],
        price_cents=record.price_cents,
        unit_version=record.unit_version,
        chain_id=record.chain_id,
    ).decode()


# Read side ------------------------------------------------------------------------------


LedgerStatusSerializer = ledger_status_serializer("PropertyLedgerStatus")


HistoryEntrySerializer = history_entry_serializer(
    "PropertyHistoryEntry",
    "One event of a land unit on the property ledger.",
    "Registered or SeizureNoted",
    version_help="The unit's version it made",
)


class OwnerSerializer(serializers.ModelSerializer[OwnershipRecord]):
    """Part II: an owner and their exact share."""

    owner = serializers.CharField(source="owner_code", help_text="Personal or registry code")
    kind = serializers.CharField(source="owner_kind", help_text="person or organisation")
    share = serializers.CharField(help_text="Exact share numerator/denominator")
    since_seq = serializers.IntegerField(
        source="ledger_seq", allow_null=True, help_text="Ledger seq of the entry that gave it"
    )

    class Meta:
        model = OwnershipRecord
        fields = ["owner", "kind", "share", "since_seq"]
        ref_name = "PropertyOwner"


class RestrictionSerializer(serializers.ModelSerializer[RestrictionRecord]):
    """Part III: a restriction or encumbrance (seizure notes name the court's order)."""

    entered_seq = serializers.IntegerField(source="ledger_seq", allow_null=True)
    kind = serializers.CharField(help_text="servitude, usufruct, ..., or seizure")

    class Meta:
        model = RestrictionRecord
        fields = [
            "number",
            "kind",
            "description",
            "beneficiary",
            "order_reference",
            "court_case",
            "cause",
            "active",
            "entered_seq",
            "removed_seq",
            "removed_cause",
        ]
        ref_name = "PropertyRestriction"


class MortgageSerializer(serializers.ModelSerializer[MortgageRecord]):
    """Part IV: a mortgage; ``rank`` is its order of recording on the unit."""

    entered_seq = serializers.IntegerField(source="ledger_seq", allow_null=True)

    class Meta:
        model = MortgageRecord
        fields = ["rank", "amount_cents", "creditor", "active", "entered_seq", "released_seq"]
        ref_name = "PropertyMortgage"


class EndorsementSerializer(serializers.Serializer[Any]):
    """The notary's endorsement as recorded in the transfer event."""

    notary = serializers.CharField(help_text="Personal code of the notary")
    key_id = serializers.CharField(help_text="Identity key id of the notary's e-ID key")
    signature = serializers.CharField(help_text="Ed25519 signature of signed_message, hex")
    chain_id = serializers.CharField()
    signed_message = serializers.CharField(
        help_text="The canonical transfer message (UTF-8 JSON) the signature covers"
    )

    class Meta:
        ref_name = "PropertyEndorsement"


class BuyerSerializer(serializers.Serializer[Any]):
    """An owner and the share of the whole unit they receive or hold."""

    owner = code_field("Personal code (11 digits) or registry code (8 digits)")
    share = StrictCharField(max_length=30, help_text="Exact fraction such as 1/2")

    class Meta:
        ref_name = "PropertyShare"


class TransferSerializer(serializers.ModelSerializer[TransferRecord]):
    """A transfer of ownership with its endorsement."""

    seq = serializers.IntegerField(source="ledger_seq", allow_null=True)
    sellers = serializers.ListField(child=serializers.CharField())
    buyers = BuyerSerializer(many=True)
    endorsement = serializers.SerializerMethodField()

    class Meta:
        model = TransferRecord
        fields = [
            "seq",
            "version",
            "sellers",
            "buyers",
            "price_cents",
            "unit_version",
            "endorsement",
            "delivery_versus_payment",
        ]
        ref_name = "PropertyTransfer"

    delivery_versus_payment = serializers.SerializerMethodField(
        help_text="The price was paid in money in the same ledger transaction as the transfer"
    )

    def get_delivery_versus_payment(self, record: TransferRecord) -> bool:
        return bool(record.payment_id)

    @extend_schema_field(EndorsementSerializer)
    def get_endorsement(self, record: TransferRecord) -> dict[str, str]:
        return {
            "notary": record.notary,
            "key_id": record.notary_key_id,
            "signature": record.signature,
            "chain_id": record.chain_id,
            "signed_message": signed_message(record),
        }


class LandUnitSummarySerializer(serializers.ModelSerializer[LandUnitRecord]):
    """A land unit as listed in search results."""

    owners = OwnerSerializer(many=True, read_only=True)
    ledger = serializers.SerializerMethodField()

    class Meta:
        model = LandUnitRecord
        fields = [
            "cadastral_code",
            "area_m2",
            "purpose",
            "address",
            "under_seizure",
            "owners",
            "ledger",
        ]

    @extend_schema_field(LedgerStatusSerializer)
    def get_ledger(self, record: LandUnitRecord) -> dict[str, object]:
        return record_ledger_status(record).as_dict()


class PartOneSerializer(serializers.Serializer[Any]):
    """Part I: description of the land unit."""

    area_m2 = serializers.IntegerField()
    purpose = serializers.CharField()
    address = serializers.CharField()

    class Meta:
        ref_name = "PropertyPartI"


class PartTwoSerializer(serializers.Serializer[Any]):
    """Part II: owners and their shares (adding up to exactly one)."""

    owners = OwnerSerializer(many=True)

    class Meta:
        ref_name = "PropertyPartII"


class PartThreeSerializer(serializers.Serializer[Any]):
    """Part III: restrictions and encumbrances in force, and those removed."""

    restrictions = RestrictionSerializer(many=True)
    removed = RestrictionSerializer(many=True)

    class Meta:
        ref_name = "PropertyPartIII"


class PartFourSerializer(serializers.Serializer[Any]):
    """Part IV: mortgages in force in rank order, and those released."""

    mortgages = MortgageSerializer(many=True)
    released = MortgageSerializer(many=True)

    class Meta:
        ref_name = "PropertyPartIV"


class LandUnitDetailSerializer(serializers.ModelSerializer[LandUnitRecord]):
    """The public title register of a land unit, its transfers and its ledger history."""

    part_i = serializers.SerializerMethodField()
    part_ii = serializers.SerializerMethodField()
    part_iii = serializers.SerializerMethodField()
    part_iv = serializers.SerializerMethodField()
    transfers = TransferSerializer(many=True, read_only=True)
    names = serializers.SerializerMethodField()
    ledger = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    class Meta:
        model = LandUnitRecord
        fields = [
            "cadastral_code",
            "version",
            "under_seizure",
            "part_i",
            "part_ii",
            "part_iii",
            "part_iv",
            "transfers",
            "names",
            "ledger",
            "history",
        ]

    @extend_schema_field(
        names_field(
            "the owners, beneficiaries, creditors and the transfers' parties and notaries "
            "(public in the land register, as their codes)",
            REGISTRY,
        )
    )
    def get_names(self, record: LandUnitRecord) -> dict[str, str]:
        """The names of everyone the title register shows, beside their codes."""
        if not shows_names(self, REGISTRY):
            return {}
        codes = [o.owner_code for o in record.owners.all()]
        codes += [r.beneficiary for r in record.restrictions.all()]
        codes += [m.creditor for m in record.mortgages.all()]
        for transfer in record.transfers.all():
            codes += [*transfer.sellers, *(b["owner"] for b in transfer.buyers), transfer.notary]
        return names_of(codes)

    @extend_schema_field(PartOneSerializer)
    def get_part_i(self, record: LandUnitRecord) -> dict[str, Any]:
        return {"area_m2": record.area_m2, "purpose": record.purpose, "address": record.address}

    @extend_schema_field(PartTwoSerializer)
    def get_part_ii(self, record: LandUnitRecord) -> dict[str, Any]:
        return {"owners": OwnerSerializer(record.owners.all(), many=True).data}

    @extend_schema_field(PartThreeSerializer)
    def get_part_iii(self, record: LandUnitRecord) -> dict[str, Any]:
        rows = list(record.restrictions.all())
        return {
            "restrictions": RestrictionSerializer([r for r in rows if r.active], many=True).data,
            "removed": RestrictionSerializer([r for r in rows if not r.active], many=True).data,
        }

    @extend_schema_field(PartFourSerializer)
    def get_part_iv(self, record: LandUnitRecord) -> dict[str, Any]:
        rows = sorted(record.mortgages.all(), key=lambda m: m.rank)
        return {
            "mortgages": MortgageSerializer([m for m in rows if m.active], many=True).data,
            "released": MortgageSerializer([m for m in rows if not m.active], many=True).data,
        }

    @extend_schema_field(LedgerStatusSerializer)
    def get_ledger(self, record: LandUnitRecord) -> dict[str, object]:
        return record_ledger_status(record).as_dict()

    @extend_schema_field(HistoryEntrySerializer(many=True))
    def get_history(self, record: LandUnitRecord) -> list[dict[str, Any]]:
        return ledger_history(REGISTRY, record.aggregate_id)


class LandUnitFilterSerializer(serializers.Serializer[Any]):
    """Query parameters of the land unit search."""

    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_ADDRESS_LENGTH,
        help_text="Part of the address (any case) or the start of a cadastral code",
    )
    purpose = purpose_field(required=False, allow_blank=True)
    under_seizure = serializers.BooleanField(required=False, allow_null=True, default=None)
    owner = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=11,
        help_text="Exact owner code. A registry code (organisation) is public; a personal "
        "code only for property officials and the person themselves",
    )
    page = serializers.IntegerField(required=False, min_value=1, help_text="Page number")


# Commands -----------------------------------------------------------------------------------


def _holdings(help_text: str) -> serializers.ListSerializer[Any]:
    return serializers.ListSerializer(
        child=BuyerSerializer(), max_length=MAX_OWNERS, help_text=help_text
    )


class LandUnitRegistrationSerializer(serializers.Serializer[Any]):
    """An application to register a land unit with its first owners."""

    cadastral_code = cadastral_code_field()
    area_m2 = StrictIntegerField(min_value=1, max_value=MAX_AREA_M2)
    purpose = purpose_field()
    address = StrictCharField(max_length=MAX_ADDRESS_LENGTH)
    owners = _holdings("Owners with exact shares that add up to exactly one")


class DescriptionChangeSerializer(serializers.Serializer[Any]):
    """Part I as it should read."""

    area_m2 = StrictIntegerField(min_value=1, max_value=MAX_AREA_M2)
    purpose = purpose_field()
    address = StrictCharField(max_length=MAX_ADDRESS_LENGTH)


class RestrictionInputSerializer(serializers.Serializer[Any]):
    """A restriction or encumbrance to enter in part III."""

    kind = restriction_kind_field()
    description = StrictCharField(max_length=MAX_TEXT_LENGTH)
    beneficiary = StrictCharField(
        max_length=MAX_REFERENCE_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="Who benefits: a personal code, a registry code or another unit's cadastral "
        "code (a real servitude); required for a usufruct",
    )


class EmptyCommandSerializer(serializers.Serializer[Any]):
    """This command takes no data."""

    class Meta:
        ref_name = "PropertyEmptyCommand"


class MortgageInputSerializer(serializers.Serializer[Any]):
    """A mortgage to enter in part IV (it ranks after every earlier one)."""

    amount_cents = StrictIntegerField(min_value=1, max_value=MAX_CENTS)
    creditor = StrictCharField(max_length=8, help_text="Registry code of the creditor (a bank)")


class TransferTermsSerializer(serializers.Serializer[Any]):
    """The terms of a transfer: what the notary signs."""

    sellers = serializers.ListField(
        child=code_field("Personal or registry code of a current owner"),
        max_length=MAX_OWNERS,
        help_text='Owners who give up their whole shares ("from" in the signed message)',
    )
    buyers = _holdings(
        'Who receives which share of the whole unit ("to" in the signed message); '
        "the shares add up to the sellers' shares"
    )
    price_cents = StrictIntegerField(min_value=0, max_value=MAX_CENTS)


class TransferMessageInputSerializer(TransferTermsSerializer):
    """Terms of a transfer, to get the canonical message a notary signs."""

    unit_version = StrictIntegerField(
        min_value=1, required=False, help_text="Defaults to the unit's current version"
    )


class TransferMessageSerializer(serializers.Serializer[Any]):
    """The canonical bytes a notary signs (chain.encoding.canonical JSON)."""

    message = serializers.CharField(help_text="The message as UTF-8 text")
    message_hex = serializers.CharField(help_text="The exact bytes to sign, hex")
    unit_version = serializers.IntegerField()
    chain_id = serializers.CharField()


class TransferInputSerializer(TransferTermsSerializer):
    """A transfer of ownership endorsed by a notary (tier 2)."""

    unit_version = StrictIntegerField(
        min_value=1, help_text="The unit's version the notary signed (see transfer-message)"
    )
    notary = code_field("Personal code of the endorsing notary")
    signature = StrictCharField(
        max_length=200,
        allow_blank=True,
        help_text="The notary's Ed25519 signature of the transfer message: 128 hex digits or "
        "base64",
    )
