"""Synthetic land register for ``manage.py demo``: land units with a plausible history.

Everything goes through the registry's commands, so every title register's
history is on the ledger as a real one would have it: first registration
with owners from the identity demo (people and organisations, exact shares
adding up to one), then servitudes and usufructs in part III, mortgages by
the demo banks in part IV (in rank order, some released), and transfers of
ownership endorsed by the demo notaries, signed with their real e-ID keys
(``RIIK_DATA_DIR/demo-keys/<code>.pem``, written by the identity demo).
Deterministic for a given ``rng`` (except the signatures, whose keys are
fresh for every demo run).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from registries.common.application import running
from registries.common.seeding import in_batches
from registries.identity.demo import IdentitySeed
from registries.property.application import NewLandUnit, PropertyRegistry, Transfer
from registries.property.vocabulary import format_share, land_unit_id

ACTOR = "demo"

# (cadastral zone, place, streets or village names, urban)
_PLACES: list[tuple[str, str, list[str], bool]] = [
    ("78401", "Tallinn", ["Pikk", "Lai", "Vene", "Toompuiestee", "Kentmanni"], True),
    ("78403", "Tallinn", ["Narva mnt", "Kadrioru", "Poska", "Koidula"], True),
    ("78406", "Tallinn", ["Pärnu mnt", "Tondi", "Kotka", "Sõpruse pst"], True),
    ("79501", "Tartu", ["Rüütli", "Ülikooli", "Vanemuise", "Riia"], True),
    ("79507", "Tartu", ["Raatuse", "Kalda tee", "Anne"], True),
    ("62501", "Pärnu", ["Rüütli", "Supeluse", "Riia mnt"], True),
    ("89701", "Viljandi", ["Lossi", "Tallinna", "Posti"], True),
    ("35201", "Kose vald", ["Nõmbra küla", "Ardu küla", "Oru küla"], False),
    ("72001", "Saue vald", ["Laagri alevik", "Vanamõisa küla", "Ääsmäe küla"], False),
    ("64801", "Räpina vald", ["Toolamaa küla", "Võõpsu alevik"], False),
    ("34901", "Saaremaa vald", ["Kuressaare", "Kaali küla", "Leisi alevik"], False),
]
_FARM_NAMES = ["Mäe", "Oja", "Kase", "Tamme", "Metsa", "Põllu", "Nõmme", "Järve", "Kivi", "Allika"]
_SERVITUDES = [
    ("servitude", "Right of way over the unit to the public road"),
    ("servitude", "Utility network servitude for a 10 kV power line"),
    ("servitude", "Right to lay and maintain a water pipe"),
    ("pre_emption", "Right of pre-emption of the co-owners"),
    ("building_right", "Right of superficies for 50 years"),
]
_OWNER_SPLITS = [
    [Fraction(1)],
    [Fraction(1)],
    [Fraction(1)],
    [Fraction(1, 2), Fraction(1, 2)],
    [Fraction(2, 3), Fraction(1, 3)],
    [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)],
]


@dataclass
class PropertySeed:
    """What the land register seeder created."""

    units: list[str] = field(default_factory=list)
    transferred: list[str] = field(default_factory=list)
    mortgages: int = 0
    restrictions: int = 0


def _signing_key(path: Path) -> Ed25519PrivateKey:
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        msg = f"{path} is not an Ed25519 private key"
        raise TypeError(msg)
    return key


def _shares(rng: random.Random, owners: list[str]) -> list[tuple[str, str]]:
    split = rng.choice([s for s in _OWNER_SPLITS if len(s) <= len(owners)])
    return [(owner, format_share(share)) for owner, share in zip(owners, split, strict=False)]


def _new_unit(
    app: PropertyRegistry,
    rng: random.Random,
    living: list[str],
    organisations: list[str],
    batch: Sequence[NewLandUnit],
) -> NewLandUnit:
    """A made-up land unit under a cadastral code neither the register nor ``batch`` has
    (mostly: the batch is sent again for a clash that slips through)."""
    zone, place, streets, urban = rng.choice(_PLACES)
    if urban:
        purpose = rng.choices(["residential", "commercial", "industrial"], [8, 3, 1])[0]
        area = rng.randint(300, 3_000)
        address = f"{rng.choice(streets)} {rng.randint(1, 120)}, {place}"
    else:
        purpose = rng.choices(["agricultural", "forest", "residential"], [4, 4, 2])[0]
        area = (
            rng.randint(1_500, 6_000) if purpose == "residential" else rng.randint(5_000, 400_000)
        )
        address = f"{rng.choice(_FARM_NAMES)} talu, {rng.choice(streets)}, {place}"
    if organisations and rng.random() < 0.1:
        holders = [(rng.choice(organisations), "1/1")]
    else:
        holders = _shares(rng, rng.sample(living, k=min(3, len(living))))
    drawn = {unit.cadastral_code for unit in batch}
    for _ in range(100):
        code = f"{zone}:{rng.randint(101, 650):03d}:{rng.randint(1, 9999):04d}"
        if code not in drawn and land_unit_id(code) not in app.repository:
            break  # the parcel is free
    return NewLandUnit(code, area, purpose, address, holders)


def _transfer(
    app: PropertyRegistry,
    rng: random.Random,
    code: str,
    living: list[str],
    seed: IdentitySeed,
    ready_to_pay: Callable[[str], None],
) -> bool:
    """Sell the whole unit to one or two new owners, endorsed by a demo notary."""
    unit = app.land_unit(code)
    sellers = list(unit.owners)
    notaries = [n for n in seed.notaries if n not in sellers and seed.key_file(n).exists()]
    candidates = [p for p in living if p not in sellers and p not in notaries]
    if not notaries or len(candidates) < 2:
        return False
    notary = rng.choice(notaries)
    buyers = rng.sample(candidates, k=rng.choice([1, 1, 2]))
    shares = ["1/1"] if len(buyers) == 1 else ["1/2", "1/2"]
    price = rng.randint(20_000, 900_000) * 100
    terms = Transfer(
        sellers=sellers,
        buyers=list(zip(buyers, shares, strict=True)),
        price_cents=price,
        unit_version=unit.version,
        notary=notary,
        signature=b"",
    )
    signature = _signing_key(seed.key_file(notary)).sign(app.transfer_message(code, terms))
    signed = Transfer(**{**terms.__dict__, "signature": signature})
    ready_to_pay(buyers[0])  # the first buyer pays the state fee
    app.transfer_ownership(code, signed, ACTOR)
    return True


def seed_property(
    rng: random.Random,
    progress: Callable[[int], None] | None,
    units: int,
    identity_seed: IdentitySeed,
    ready_to_pay: Callable[[str], None] = lambda payer: None,
) -> PropertySeed:
    """Register ``units`` land units with servitudes, mortgages and endorsed transfers.

    Uses the identity demo's living people, organisations, banks and notaries
    (with their private keys). Units are registered in batches, one
    transaction each (:func:`~registries.common.seeding.in_batches`);
    ``progress(n)`` is called after each batch of ``n`` units. The
    read models are not caught up here (the caller does it once at the end).
    ``ready_to_pay(code)`` is called with the buyer before each transfer (the
    state fee; the money demo funds their wallet).
    """
    app = running(PropertyRegistry)
    seed = PropertySeed()
    dead = set(identity_seed.deceased)
    living = [p for p in identity_seed.people if p not in dead]
    if not living:
        msg = "the land register demo needs living people from the identity demo"
        raise RuntimeError(msg)
    organisations = [o for o in identity_seed.organisations if o not in identity_seed.courts]
    batches = in_batches(
        units,
        lambda batch: _new_unit(app, rng, living, organisations, batch),
        lambda batch: app.register_land_units(batch, ACTOR),
    )
    index = 0
    for codes in batches:
        for code in codes:
            seed.units.append(code)
            if seed.units[:-1] and (index % 5 == 2 or rng.random() < 0.15):
                kind, text = rng.choice(_SERVITUDES)
                neighbour = rng.choice(seed.units[:-1]) if kind == "servitude" else ""
                app.add_restriction(code, kind, text, neighbour, ACTOR)
                seed.restrictions += 1
            if rng.random() < 0.05:
                app.add_restriction(
                    code, "usufruct", "Lifelong usufruct of the dwelling", rng.choice(living), ACTOR
                )
                seed.restrictions += 1
            if identity_seed.banks and (index % 4 == 1 or rng.random() < 0.3):
                for _ in range(rng.choice([1, 1, 2])):
                    amount = rng.randint(10_000, 500_000) * 100
                    app.add_mortgage(code, amount, rng.choice(identity_seed.banks), ACTOR)
                    seed.mortgages += 1
                if rng.random() < 0.2:
                    app.release_mortgage(code, 1, ACTOR)
            if (index % 4 == 0 or rng.random() < 0.2) and _transfer(
                app, rng, code, living, identity_seed, ready_to_pay
            ):
                seed.transferred.append(code)
            index += 1
        if progress is not None:
            progress(len(codes))
    return seed


__all__ = ["PropertySeed", "seed_property"]
