"""The bundle header: the chain, its registries and each tier's member keys.

A header lists the supernodes' keys, and when present the witnesses' and
citizens' keys, each with the heights it may sign for (the member history);
:func:`read_members` is the one reader of these lists and
:func:`read_header` turns a header into the :class:`Certificates` the blocks
are checked with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain import notes, protocol
from chain.protocol import CITIZEN_TIER, SUPERNODE_TIER, WITNESS_TIER
from chain.verify.certificates import Certificates, KeyRef, Span
from chain.verify.records import BUNDLE_FORMAT, fail, get, get_hex, get_int
from chain.verify.report import RegistryReport, Report

__all__ = [
    "OPTIONAL_TIERS",
    "Members",
    "TrustedKeys",
    "parse_trusted_key",
    "parse_trusted_keys",
    "read_header",
    "read_members",
]

OPTIONAL_TIERS = {
    # tier: (header list, header threshold)
    WITNESS_TIER: ("witnesses", "witness_quorum"),
    CITIZEN_TIER: ("citizens", "citizen_threshold"),
}
"""Tiers besides the supernodes a bundle may list; their certificates are optional."""


@dataclass(frozen=True)
class TrustedKeys:
    """The auditor's supernode keys, each with the heights it is trusted for."""

    publics: dict[KeyRef, bytes]
    spans: dict[KeyRef, list[Span]]
    ranged: bool
    """True when some key states its heights (the quorum is then per height)."""


_HEIGHTS = re.compile(r"heights=([1-9][0-9]{0,19})-([1-9][0-9]{0,19})?")


def parse_trusted_key(line: str) -> tuple[str, bytes, bytes, Span]:
    """``name+keyid+key`` with an optional ``heights=A-B`` (``A-``: open; absent: all).

    Returns (name, key id, public key, heights); raises :class:`chain.notes.NoteError`.
    """
    text, _, heights = line.strip().partition(" ")
    name, kid, public = notes.parse_verifier_key(text)
    heights = heights.strip()
    if not heights:
        return name, kid, public, (1, None)
    match = _HEIGHTS.fullmatch(heights)
    if match is None:
        raise notes.NoteError(f"malformed heights {heights!r} (expected heights=A-B or A-)")
    start = int(match.group(1))
    end = None if match.group(2) is None else int(match.group(2))
    if end is not None and end < start:
        raise notes.NoteError(f"heights {heights!r} end before they start")
    return name, kid, public, (start, end)


def parse_trusted_keys(lines: Iterable[str]) -> TrustedKeys:
    """The trusted keys of ``lines`` (:func:`parse_trusted_key`); a key may have
    several lines, one per range."""
    publics: dict[KeyRef, bytes] = {}
    spans: dict[KeyRef, list[Span]] = {}
    ranged = False
    for line in lines:
        name, kid, public, span = parse_trusted_key(line)
        publics[(name, kid)] = public
        spans.setdefault((name, kid), []).append(span)
        ranged = ranged or span != (1, None)
    return TrustedKeys(publics, spans, ranged)


def read_header(
    header: Mapping[str, Any],
    trusted: TrustedKeys | None,
    quorum_override: int | None,
) -> Certificates:
    """Check a bundle header; the keys it lists, with a fresh report to fill.

    ``trusted``: the auditor's supernode keys, used instead of the header's.
    ``quorum_override``: the supernode quorum to require instead of the header's.
    """
    where = "header"
    if header.get("format") != BUNDLE_FORMAT:
        found = header.get("format")
        fail(f"header: unsupported format {found!r}, expected {BUNDLE_FORMAT!r}")
    chain_id: str = get(header, "chain_id", str, where)
    origin_prefix: str = get(header, "origin_prefix", str, where)
    if not origin_prefix:
        fail("header: malformed record (field 'origin_prefix' is empty)")
    registries: list[Any] = get(header, "registries", list, where)
    for registry in registries:
        if not isinstance(registry, str) or not registry:
            fail("header: registry names must be non-empty strings")
    if len(set(registries)) != len(registries):
        fail("header: registry names are not unique")
    supernodes: list[Any] = get(header, "supernodes", list, where)
    quorum = get_int(header, "quorum", where, minimum=1)

    listed = read_members(supernodes, SUPERNODE_TIER)
    current = len(listed.names)
    if listed.publics and quorum > current:
        fail(f"header: quorum {quorum} exceeds the {current} supernodes listed")
    if quorum < current // 2 + 1:
        fail(f"header: quorum {quorum} is not a majority of {current} supernodes")

    known: dict[KeyRef, bytes]
    if trusted is None:
        known = listed.publics
    else:
        known = dict(trusted.publics)
        quorum = max(quorum, protocol.quorum(len({name for name, _ in known})))
    if quorum_override is not None:
        quorum = quorum_override
    try:
        keys = {k: Ed25519PublicKey.from_public_bytes(v) for k, v in known.items()}
    except ValueError as exc:
        fail(f"header: a supernode public key is not a valid Ed25519 key ({exc})")
    supernode_spans = listed.spans if trusted is None else trusted.spans
    spans = {(SUPERNODE_TIER, name, kid): s for (name, kid), s in supernode_spans.items()}
    stated = {(SUPERNODE_TIER, name, kid): s for (name, kid), s in listed.stated.items()}
    complete = listed.complete
    dated = listed.dated
    tiers: dict[str, tuple[Members, dict[KeyRef, Ed25519PublicKey], int]] = {}
    for tier, (list_key, _) in OPTIONAL_TIERS.items():
        if list_key in header:
            tiers[tier] = _read_tier(header, tier)
            members = tiers[tier][0]
            spans.update({(tier, name, kid): s for (name, kid), s in members.spans.items()})
            stated.update({(tier, name, kid): s for (name, kid), s in members.stated.items()})
            complete = complete and members.complete
            dated = dated or members.dated
    report = Report(
        chain_id=chain_id,
        origin_prefix=origin_prefix,
        registries={name: RegistryReport(name) for name in sorted(registries)},
        supernodes=tuple(sorted({name for name, _ in known})),
        quorum=quorum,
        keys_from_bundle=trusted is None,
        tiers={
            tier: (tuple(sorted(members.names)), threshold)
            for tier, (members, _, threshold) in tiers.items()
        },
    )
    return Certificates(
        chain_id=chain_id,
        origin_prefix=origin_prefix,
        registries=frozenset(report.registries),
        report=report,
        supernodes=keys,
        checkpoint_keys=known,
        tiers={tier: tier_keys for tier, (_, tier_keys, _) in tiers.items()},
        spans=spans,
        # The header's heights apply to the keys from the bundle; trusted keys
        # given by the auditor carry their own (all heights when none is given).
        history=trusted is None and listed.dated,
        fixed_quorum=quorum_override is not None,
        trusted=trusted is not None,
        trusted_ranges=trusted is not None and trusted.ranged,
        listed=stated if trusted is None and dated else {},
        complete=complete,
    )


@dataclass(frozen=True)
class Members:
    """One tier's keys as a header lists them, with each key's heights."""

    publics: dict[KeyRef, bytes]
    spans: dict[KeyRef, list[Span]]
    dated: bool
    """True when some key states its ``from_height`` (the header has a member history)."""
    stated: dict[KeyRef, list[Span]]
    """The ranges of the records that state their ``from_height``."""
    complete: bool
    """True when every record states its ``from_height``."""

    @property
    def names(self) -> set[str]:
        """The members listed (a member with several keys counts once)."""
        return {name for name, _ in self.publics}


def read_members(items: Sequence[Any], tier: str) -> Members:
    """A header's list of ``tier`` member keys, each checked against its key id.

    A member may be listed once per key, with heights that do not overlap.
    """
    publics: dict[KeyRef, bytes] = {}
    spans: dict[KeyRef, list[Span]] = {}
    stated: dict[KeyRef, list[Span]] = {}
    for number, node in enumerate(items, start=1):
        node_where = f"header: {tier} {number}"
        if not isinstance(node, Mapping):
            fail(f"{node_where}: malformed record (not an object)")
        name = get(node, "name", str, node_where)
        public = get_hex(node, "public_key", node_where)
        kid = get_hex(node, "key_id", node_where, size=4)
        try:
            computed = notes.key_id(name, public)
        except notes.NoteError as exc:
            fail(f"{node_where}: {exc}")
        if computed != kid:
            fail(f"header: {tier} {name} key_id {kid.hex()} does not match its public key")
        span = _key_range(node, node_where)
        for (known_name, _), known_spans in spans.items():
            if known_name == name and not all(_disjoint(span, known) for known in known_spans):
                fail(f"header: {tier} {name} is listed twice")
        publics[(name, kid)] = public
        spans.setdefault((name, kid), []).append(span)
        if "from_height" in node:
            stated.setdefault((name, kid), []).append(span)
    dated = bool(stated)
    complete = all("from_height" in node for node in items)
    return Members(publics, spans, dated, stated, complete)


def _read_tier(
    header: Mapping[str, Any], tier: str
) -> tuple[Members, dict[KeyRef, Ed25519PublicKey], int]:
    """The members, keys and threshold of an optional tier listed in the header."""
    list_key, threshold_key = OPTIONAL_TIERS[tier]
    items: list[Any] = get(header, list_key, list, "header")
    threshold = get_int(header, threshold_key, "header", minimum=1)
    members = read_members(items, tier)
    keys: dict[KeyRef, Ed25519PublicKey] = {}
    for (name, kid), public in members.publics.items():
        try:
            keys[(name, kid)] = Ed25519PublicKey.from_public_bytes(public)
        except ValueError as exc:
            fail(f"header: {tier} {name} public key is not a valid Ed25519 key ({exc})")
    if threshold > len(members.names):
        fail(
            f"header: {threshold_key} {threshold} exceeds the {len(members.names)} "
            f"{list_key} listed"
        )
    return members, keys, threshold


def _key_range(node: Mapping[str, Any], where: str) -> Span:
    """A listed key's heights: ``from_height`` (default 1) to ``until_height`` (open)."""
    start = get_int(node, "from_height", where, minimum=1) if "from_height" in node else 1
    until = node.get("until_height")
    if until is None:
        return start, None
    end = get_int(node, "until_height", where, minimum=start - 1)
    return start, end


def _disjoint(a: Span, b: Span) -> bool:
    (a_start, a_end), (b_start, b_end) = a, b
    return (a_end is not None and a_end < b_start) or (b_end is not None and b_end < a_start)
