"""Texts a person reads, marked for translation without Django.

Pure code (domains, errors) marks its fixed texts with :func:`N_`: ``manage.py
makemessages`` extracts ``N_("...")`` into the Estonian catalog (the project's
command names the keyword to xgettext), and the edge that shows the text
(problem+json, the admin) translates it with Django's ``gettext``. A text with values is a
:class:`Message`: its template is marked and translated, then formatted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(text: str) -> str:  # noqa: N802  # xgettext's keyword is spelled so
    """Mark ``text`` for translation; return it unchanged (translated where it is shown)."""
    return text


@dataclass(frozen=True)
class Message:
    """A text with named values: ``template`` (marked with :func:`N_`) and its ``values``."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.template.format(**self.values)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The text in the language ``gettext`` translates into (values that are
        messages themselves, such as what was not found, translated too)."""
        values = {
            name: value.translated(gettext) if isinstance(value, Message) else value
            for name, value in self.values.items()
        }
        return gettext(self.template).format(**values)


def on_field(field: str, text: str | Message) -> Message:
    """``field: text``: a refusal that names its field (the field is never translated)."""
    return Message("{field}: {text}", {"field": field, "text": text})


# What each event of the registries is called where a person reads a ledger history
# (the admin's record pages, the API's ``history``), by its aggregate and event class.
EVENT_LABELS: dict[str, str] = {
    "Company.Created": N_("Company registered"),
    "Company.Registered": N_("Company registered"),
    "Company.AddressChanged": N_("Address changed"),
    "Company.AnnualReportFiled": N_("Annual report filed"),
    "Company.BoardChanged": N_("Management board changed"),
    "Company.CapitalIncreased": N_("Share capital increased"),
    "Company.LiquidationEntered": N_("Liquidation entered"),
    "Company.Deleted": N_("Company deleted"),
    "CompanyName.Created": N_("Business name claimed"),
    "CompanyName.Claimed": N_("Business name claimed"),
    "CompanyName.Reclaimed": N_("Business name claimed again"),
    "CompanyName.Released": N_("Business name released"),
    "Case.Created": N_("Case opened"),
    "Case.Opened": N_("Case opened"),
    "Case.PartyAdded": N_("Party added"),
    "Case.HearingScheduled": N_("Hearing scheduled"),
    "Case.HearingRescheduled": N_("Hearing rescheduled"),
    "Case.HearingCancelled": N_("Hearing cancelled"),
    "Case.JudgmentRecorded": N_("Judgment recorded"),
    "Case.JudgmentBecameFinal": N_("Judgment became final"),
    "Case.JudgmentSetAside": N_("Judgment set aside"),
    "Case.AppealFiled": N_("Appeal filed"),
    "Case.AppealDecided": N_("Appeal decided"),
    "Case.Closed": N_("Case closed"),
    "CaseDocket.Created": N_("Docket started"),
    "CaseDocket.Started": N_("Docket started"),
    "CaseDocket.NumberAssigned": N_("Case number assigned"),
    "HealthRecord.Created": N_("Health record opened"),
    "HealthRecord.Opened": N_("Health record opened"),
    "HealthRecord.EncounterRecorded": N_("Encounter recorded"),
    "HealthRecord.PrescriptionIssued": N_("Prescription issued"),
    "HealthRecord.PrescriptionDispensed": N_("Prescription dispensed"),
    "HealthRecord.AccessOpened": N_("Access opened"),
    "HealthRecord.AccessClosed": N_("Access closed"),
    "HealthRecord.RepresentativeAppointed": N_("Representative appointed"),
    "HealthRecord.RepresentativeRemoved": N_("Representative removed"),
    "HealthRecord.Erased": N_("Health record erased"),
    "Organisation.Created": N_("Organisation registered"),
    "Organisation.Registered": N_("Organisation registered"),
    "Person.Created": N_("Person registered"),
    "Person.Registered": N_("Person registered"),
    "Person.NameChanged": N_("Name changed"),
    "Person.DeathRecorded": N_("Death recorded"),
    "Person.Appointed": N_("Appointed as an official"),
    "Person.Dismissed": N_("Dismissed as an official"),
    "Person.KeyRegistered": N_("e-ID key registered"),
    "Person.KeyRotated": N_("e-ID key rotated"),
    "Person.KeyRevoked": N_("e-ID key revoked"),
    "Person.RepresentativeAppointed": N_("Representative appointed"),
    "Person.RepresentativeRemoved": N_("Representative removed"),
    "Person.ErasureRequested": N_("Erasure asked for"),
    "Person.ErasureWithdrawn": N_("Erasure request withdrawn"),
    "Person.Erased": N_("Person erased"),
    "PersonCodeIndex.Created": N_("Personal code claimed"),
    "PersonCodeIndex.Claimed": N_("Personal code claimed"),
    "LandUnit.Created": N_("Land unit registered"),
    "LandUnit.Registered": N_("Land unit registered"),
    "LandUnit.DescriptionChanged": N_("Description changed"),
    "LandUnit.OwnershipTransferred": N_("Ownership transferred"),
    "LandUnit.RestrictionAdded": N_("Restriction entered"),
    "LandUnit.RestrictionRemoved": N_("Restriction deleted"),
    "LandUnit.SeizureNoted": N_("Seizure noted"),
    "LandUnit.SeizureLifted": N_("Seizure lifted"),
    "LandUnit.MortgageRegistered": N_("Mortgage entered"),
    "LandUnit.MortgageReleased": N_("Mortgage deleted"),
    "CovertRead.Created": N_("Covert read committed"),
    "CovertRead.Committed": N_("Covert read committed"),
    "CovertRead.Disclosed": N_("Covert read disclosed"),
    "DataRead.Created": N_("Data read recorded"),
    "DataRead.Recorded": N_("Data read recorded"),
}
