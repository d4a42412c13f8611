"""Read models of the land register, kept by :mod:`registries.property.projections`.

Never edited directly: the admin and the API change land units only through
commands of :class:`~registries.property.application.PropertyRegistry`.
Part III and IV entries that were removed or released stay as rows (with the
ledger seq of their removal) so the register shows its own history.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from registries.common.codes import ORGANISATION, PERSON
from registries.common.models import LedgerLinked
from registries.property.vocabulary import (
    ALL_RESTRICTION_KINDS,
    MAX_ADDRESS_LENGTH,
    MAX_REFERENCE_LENGTH,
    MAX_TEXT_LENGTH,
    PURPOSES,
)

PURPOSE_CHOICES = [(purpose, purpose) for purpose in PURPOSES]
PARTY_KIND_CHOICES = [(PERSON, "person"), (ORGANISATION, "organisation")]


class LandUnitRecord(LedgerLinked):
    """A land unit: part I of its title register and where it stands."""

    ledger_registry = "property"

    cadastral_code = models.CharField(
        max_length=14, primary_key=True, verbose_name=_("cadastral code")
    )
    aggregate_id = models.UUIDField(unique=True, verbose_name=_("aggregate id"))
    area_m2 = models.BigIntegerField(help_text="Area in square metres", verbose_name=_("area m2"))
    purpose = models.CharField(max_length=20, choices=PURPOSE_CHOICES, verbose_name=_("purpose"))
    address = models.CharField(
        max_length=MAX_ADDRESS_LENGTH, db_index=True, verbose_name=_("address")
    )
    under_seizure = models.BooleanField(
        default=False,
        help_text="A court's seizure note stands in part III",
        verbose_name=_("under seizure"),
    )
    version = models.IntegerField(
        help_text="Version of the land unit aggregate shown here", verbose_name=_("version")
    )

    class Meta:
        ordering = ["cadastral_code"]
        verbose_name = _("land unit")
        verbose_name_plural = _("land units")

    def __str__(self) -> str:
        return f"{self.cadastral_code} ({self.address})"


class OwnershipRecord(LedgerLinked):
    """Part II: one current owner of a land unit and their share."""

    ledger_registry = "property"

    unit = models.ForeignKey(
        LandUnitRecord, on_delete=models.CASCADE, related_name="owners", verbose_name=_("unit")
    )
    owner_code = models.CharField(
        max_length=11,
        db_index=True,
        help_text="Personal code or registry code",
        verbose_name=_("owner code"),
    )
    owner_kind = models.CharField(
        max_length=12, choices=PARTY_KIND_CHOICES, verbose_name=_("owner kind")
    )
    share = models.CharField(
        max_length=30, help_text="Exact share numerator/denominator", verbose_name=_("share")
    )

    class Meta:
        ordering = ["unit", "owner_code"]
        verbose_name = _("owner")
        verbose_name_plural = _("owners")
        constraints = [
            models.UniqueConstraint(fields=["unit", "owner_code"], name="property_owner_unique")
        ]

    def __str__(self) -> str:
        return f"{self.owner_code} {self.share}"


class RestrictionRecord(LedgerLinked):
    """Part III: a restriction or encumbrance (``ledger_seq``: when it was entered)."""

    ledger_registry = "property"

    unit = models.ForeignKey(
        LandUnitRecord,
        on_delete=models.CASCADE,
        related_name="restrictions",
        verbose_name=_("unit"),
    )
    number = models.IntegerField(
        help_text="Entry number in part III of this unit", verbose_name=_("number")
    )
    kind = models.CharField(
        max_length=20,
        choices=[(kind, kind) for kind in ALL_RESTRICTION_KINDS],
        verbose_name=_("kind"),
    )
    description = models.TextField(max_length=MAX_TEXT_LENGTH, verbose_name=_("description"))
    beneficiary = models.CharField(
        max_length=MAX_REFERENCE_LENGTH, blank=True, verbose_name=_("beneficiary")
    )
    order_reference = models.CharField(
        max_length=MAX_REFERENCE_LENGTH, blank=True, verbose_name=_("order reference")
    )
    court_case = models.CharField(
        max_length=MAX_REFERENCE_LENGTH, blank=True, verbose_name=_("court case")
    )
    cause = models.CharField(
        max_length=MAX_REFERENCE_LENGTH,
        blank=True,
        help_text="The court event that caused it",
        verbose_name=_("cause"),
    )
    active = models.BooleanField(default=True, verbose_name=_("active"))
    removed_seq = models.BigIntegerField(null=True, blank=True, verbose_name=_("removed seq"))
    removed_cause = models.CharField(
        max_length=MAX_REFERENCE_LENGTH, blank=True, verbose_name=_("removed cause")
    )

    class Meta:
        ordering = ["unit", "number"]
        verbose_name = _("restriction")
        verbose_name_plural = _("restrictions")
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="property_restriction_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} III/{self.number} {self.kind}"


class MortgageRecord(LedgerLinked):
    """Part IV: a mortgage (``ledger_seq``: when it was entered, which gave its rank)."""

    ledger_registry = "property"

    unit = models.ForeignKey(
        LandUnitRecord, on_delete=models.CASCADE, related_name="mortgages", verbose_name=_("unit")
    )
    rank = models.IntegerField(
        help_text="Order of recording on this unit: 1, 2, 3, ...", verbose_name=_("rank")
    )
    amount_cents = models.BigIntegerField(verbose_name=_("amount cents"))
    creditor = models.CharField(max_length=8, db_index=True, verbose_name=_("creditor"))
    active = models.BooleanField(default=True, verbose_name=_("active"))
    released_seq = models.BigIntegerField(null=True, blank=True, verbose_name=_("released seq"))

    class Meta:
        ordering = ["unit", "rank"]
        verbose_name = _("mortgage")
        verbose_name_plural = _("mortgages")
        constraints = [
            models.UniqueConstraint(fields=["unit", "rank"], name="property_mortgage_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} IV/{self.rank}"


class TransferRecord(LedgerLinked):
    """A transfer of ownership with the notary's endorsement as recorded on the chain."""

    ledger_registry = "property"

    unit = models.ForeignKey(
        LandUnitRecord, on_delete=models.CASCADE, related_name="transfers", verbose_name=_("unit")
    )
    version = models.IntegerField(
        help_text="Version of the unit aggregate this event made", verbose_name=_("version")
    )
    sellers = models.JSONField(help_text="Codes of the sellers", verbose_name=_("sellers"))
    buyers = models.JSONField(help_text="[{owner, share}] of the buyers", verbose_name=_("buyers"))
    price_cents = models.BigIntegerField(verbose_name=_("price cents"))
    unit_version = models.IntegerField(
        help_text="The unit's version the notary signed", verbose_name=_("unit version")
    )
    notary = models.CharField(max_length=11, db_index=True, verbose_name=_("notary"))
    notary_key_id = models.CharField(max_length=16, verbose_name=_("notary key id"))
    signature = models.CharField(
        max_length=128, help_text="Ed25519 signature, hex", verbose_name=_("signature")
    )
    chain_id = models.CharField(max_length=100, verbose_name=_("chain id"))
    payment_id = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="The buyer's payment settled with the transfer (delivery versus payment)",
        verbose_name=_("payment id"),
    )

    class Meta:
        ordering = ["unit", "version"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.UniqueConstraint(fields=["unit", "version"], name="property_transfer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} transfer v{self.version}"


class TransferApplicationRecord(LedgerLinked):
    """A transfer of ownership filed for the named notary to endorse.

    It awaits the notary while the unit is still at ``unit_version`` (the
    version the notary signs) and no transfer endorsed it; once anything else
    is recorded on the unit, it can no longer be endorsed as filed.
    """

    ledger_registry = "property"

    unit = models.ForeignKey(
        LandUnitRecord,
        on_delete=models.CASCADE,
        related_name="transfer_applications",
        verbose_name=_("unit"),
    )
    number = models.IntegerField(
        help_text="Number of the application on this unit", verbose_name=_("number")
    )
    sellers = models.JSONField(help_text="Codes of the sellers", verbose_name=_("sellers"))
    buyers = models.JSONField(help_text="[{owner, share}] of the buyers", verbose_name=_("buyers"))
    price_cents = models.BigIntegerField(verbose_name=_("price cents"))
    notary = models.CharField(
        max_length=11,
        db_index=True,
        help_text="The notary asked to endorse",
        verbose_name=_("notary"),
    )
    unit_version = models.IntegerField(
        help_text="The unit's version the notary signs", verbose_name=_("unit version")
    )
    transfer_version = models.IntegerField(
        null=True,
        blank=True,
        help_text="Version of the unit's transfer that endorsed it",
        verbose_name=_("transfer version"),
    )

    class Meta:
        ordering = ["unit", "number"]
        verbose_name = _("transfer application")
        verbose_name_plural = _("transfer applications")
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "number"], name="property_transfer_application_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} application {self.number}"

    @property
    def awaiting(self) -> bool:
        """Whether the notary can still endorse it as filed."""
        return self.transfer_version is None and self.unit.version == self.unit_version
