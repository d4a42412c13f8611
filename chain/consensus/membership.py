"""Who may vote in which tier, with which key, from which epoch on.

Pure: no Django, no I/O.

A :class:`ValidatorSet` is one tier's members at one epoch with the quorum
math (``n = 3f + 1`` members need ``2f + 1`` votes; citizens a configured
threshold ``w``) and the signature check, which says *why* a vote does not
count (:class:`VoteCheck`).

:class:`Membership` is the history of the member lists, built from chain
events (:class:`ChangeCertificate`): the genesis (the first member lists and
keys, signed by the first supernodes), enterprise registration, delegated
votes, board elections (top ``k`` by votes, ties broken by name), members
added and removed, key rotation and revocation. Every change needs a quorum
certificate of the supernodes of the height it is recorded at and takes
effect at the next epoch, so that all nodes switch member lists at the same
block. Keys keep their epoch ranges: a vote names its key id, and a vote
signed before a rotation stays verifiable against the validator set of its
own height.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, ClassVar, Literal, TypeAlias

from chain import memberlog, notes
from chain.consensus.crypto import ALG, SignatureVerifier, Signer
from chain.consensus.messages import Tier, Vote
from chain.memberlog import elect_board
from chain.protocol import TIERS, activation_height, max_faulty, quorum

__all__ = [
    "AddMember",
    "ChangeCertificate",
    "DelegateVote",
    "ElectBoard",
    "Genesis",
    "KeyRecord",
    "Member",
    "MemberKey",
    "Membership",
    "MembershipChange",
    "MembershipError",
    "RegisterEnterprise",
    "RemoveMember",
    "RevokeKey",
    "RotateKey",
    "SetCitizenThreshold",
    "ValidatorSet",
    "VoteCheck",
    "certificate_of_entry",
    "certify_change",
    "change_from_record",
    "elect_board",
]


class VoteCheck(enum.Enum):
    """The outcome of checking one vote against a validator set."""

    OK = "ok"
    WRONG_CHAIN = "wrong-chain"
    WRONG_TIER = "wrong-tier"
    UNKNOWN_SIGNER = "unknown-signer"
    UNKNOWN_KEY = "unknown-key"
    UNSUPPORTED_ALG = "unsupported-alg"
    BAD_SIGNATURE = "invalid-signature"


@dataclass(frozen=True, slots=True)
class KeyRecord:
    """One key of a member and the epochs ``[from_epoch, until_epoch)`` it signs for."""

    key_id: bytes
    public_key: bytes
    from_epoch: int
    until_epoch: int | None = None

    def valid_at(self, epoch: int) -> bool:
        """True when a vote of ``epoch`` may be signed with this key."""
        return self.from_epoch <= epoch and (self.until_epoch is None or epoch < self.until_epoch)


@dataclass(frozen=True, slots=True)
class Member:
    """A node and its key history (oldest first)."""

    name: str
    keys: tuple[KeyRecord, ...]

    def key(self, key_id: bytes, epoch: int) -> KeyRecord | None:
        """The key named ``key_id`` if it signs for ``epoch``."""
        for record in self.keys:
            if record.key_id == key_id and record.valid_at(epoch):
                return record
        return None

    def current_key(self, epoch: int) -> KeyRecord | None:
        """The newest key valid at ``epoch`` (None when revoked and not replaced)."""
        for record in reversed(self.keys):
            if record.valid_at(epoch):
                return record
        return None


class ValidatorSet:
    """One tier's members at one epoch: quorum, proposer order and vote checks.

    ``names``, ``len()``, the quorum and the proposer order count only the
    members with a key valid at the epoch (docs/consensus.md, Membership).
    """

    __slots__ = (
        "_members",
        "chain_id",
        "epoch",
        "max_faulty",
        "names",
        "quorum",
        "tier",
        "verifier",
    )

    def __init__(
        self,
        *,
        chain_id: str,
        tier: Tier,
        epoch: int,
        members: Iterable[Member],
        threshold: int | None = None,
        verifier: SignatureVerifier | None = None,
    ) -> None:
        self.chain_id = chain_id
        self.tier = tier
        self.epoch = epoch
        self._members = {member.name: member for member in sorted(members, key=lambda m: m.name)}
        # n counts only the members holding a key valid at this epoch: a
        # revoked key signs nothing, so counting it would leave a board of
        # four with two revoked unable ever to reach three votes. A revoked
        # member stays known, so its vote is an unknown key, not a stranger's.
        self.names: tuple[str, ...] = tuple(
            name for name, member in self._members.items() if member.current_key(epoch) is not None
        )
        size = len(self.names)
        if threshold is None:
            self.quorum = quorum(size)
            self.max_faulty = max_faulty(size)
        else:
            if not 1 <= threshold <= max(size, 1):
                raise ValueError(f"threshold {threshold} is not between 1 and {size}")
            self.quorum = threshold
            self.max_faulty = size - threshold
        self.verifier = verifier or SignatureVerifier()

    @classmethod
    def of_signers(
        cls,
        signers: Sequence[Signer],
        *,
        chain_id: str,
        tier: Tier,
        epoch: int = 0,
        threshold: int | None = None,
        verifier: SignatureVerifier | None = None,
    ) -> ValidatorSet:
        """A set of the given signers' current keys (tests and the simulator)."""
        members = [Member(s.name, (KeyRecord(s.key_id, s.public_key, 0),)) for s in signers]
        return cls(
            chain_id=chain_id,
            tier=tier,
            epoch=epoch,
            members=members,
            threshold=threshold,
            verifier=verifier,
        )

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self._members

    def __repr__(self) -> str:
        return f"ValidatorSet({self.tier}, epoch {self.epoch}, {list(self.names)}, q={self.quorum})"

    @property
    def skip_threshold(self) -> int:
        """``f + 1`` members: more than the faulty can be, so at least one honest."""
        return self.max_faulty + 1

    def relays(self, height: int) -> tuple[str, ...]:
        """The ``f + 1`` members that pass a decision at ``height`` on at once.

        A decision (a commit certificate, a final block, a cosign request)
        needs one honest sender, not every member: ``f + 1`` include at least
        one, so the others keep theirs for their resend timer, which still
        covers a lost or withheld copy. Rotated with the height, as the
        proposer is, so no member carries the fan-out of every block.
        """
        if not self.names:
            return ()
        size = len(self.names)
        return tuple(self.names[(height + i) % size] for i in range(min(size, self.max_faulty + 1)))

    def member(self, name: str) -> Member | None:
        """The member named ``name``."""
        return self._members.get(name)

    def proposer(self, height: int, round: int) -> str:
        """Round-robin proposer over the members sorted by name, by ``height + round``."""
        if not self.names:
            raise ValueError(f"the {self.tier} set of epoch {self.epoch} is empty")
        return self.names[(height + round) % len(self.names)]

    def check(self, vote: Vote) -> VoteCheck:
        """Why ``vote`` does or does not count in this set (OK when it does)."""
        if vote.chain_id != self.chain_id:
            return VoteCheck.WRONG_CHAIN
        if vote.tier != self.tier:
            return VoteCheck.WRONG_TIER
        if vote.alg != ALG:
            return VoteCheck.UNSUPPORTED_ALG
        member = self._members.get(vote.signer)
        if member is None:
            return VoteCheck.UNKNOWN_SIGNER
        key = member.key(vote.key_id, self.epoch)
        if key is None:
            return VoteCheck.UNKNOWN_KEY
        # A frozen vote determines its signed bytes and signature: the memo
        # is keyed by the vote, so a vote seen before is not re-encoded.
        if not self.verifier.verify_statement(
            key.public_key, vote, lambda: (vote.signed_bytes(), vote.signature)
        ):
            return VoteCheck.BAD_SIGNATURE
        return VoteCheck.OK


# --- membership changes -----------------------------------------------------


class MembershipError(ValueError):
    """A membership change that cannot be applied (unsigned, malformed, out of order)."""


@dataclass(frozen=True, slots=True)
class MemberKey:
    """A name and its 32-byte Ed25519 public key, as a change lists them."""

    name: str
    public_key: bytes

    def record(self) -> dict[str, Any]:
        """JSON-native form."""
        return {"name": self.name, "public_key": self.public_key.hex()}

    @classmethod
    def of(cls, signer: Signer) -> MemberKey:
        """The member key of a signer."""
        return cls(signer.name, signer.public_key)


class _Change:
    """A membership change. Its record, JSON-native, is its ``type`` and its fields
    in order (keys and ids in hex, lists for tuples): what is signed, through its digest."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Any]]
    kind: ClassVar[str]

    def record(self) -> dict[str, Any]:
        """JSON-native form."""
        return {"type": self.kind, **{f.name: _native(getattr(self, f.name)) for f in fields(self)}}


def _native(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, tuple):
        return [_native(item) for item in value]
    if isinstance(value, MemberKey):
        return value.record()
    return value


@dataclass(frozen=True, slots=True)
class Genesis(_Change):
    """The first member lists: supernodes, the first witness board, citizens."""

    kind: ClassVar[str] = "genesis"
    supernodes: tuple[MemberKey, ...]
    witnesses: tuple[MemberKey, ...]
    citizens: tuple[MemberKey, ...] = ()
    citizen_threshold: int = 1
    board_size: int = 4
    epoch_length: int = 1000


@dataclass(frozen=True, slots=True)
class RegisterEnterprise(_Change):
    """An enterprise (bank, notary, hospital...) joins: it may vote and be elected."""

    kind: ClassVar[str] = "register-enterprise"
    name: str
    public_key: bytes


@dataclass(frozen=True, slots=True)
class DelegateVote(_Change):
    """A registered enterprise gives its vote to a candidate (the latest delegation counts)."""

    kind: ClassVar[str] = "delegate-vote"
    voter: str
    candidate: str


@dataclass(frozen=True, slots=True)
class ElectBoard(_Change):
    """The witness board elected from the delegated votes (recorded for auditors).

    It must equal :meth:`Membership.elect` at the height it is recorded: the
    result is recomputed, never taken on trust.
    """

    kind: ClassVar[str] = "elect-board"
    board: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddMember(_Change):
    """A supernode or citizen witness joins."""

    kind: ClassVar[str] = "add-member"
    tier: Literal["supernode", "citizen"]
    name: str
    public_key: bytes


@dataclass(frozen=True, slots=True)
class RemoveMember(_Change):
    """A member leaves its tier (an enterprise leaving also leaves the board)."""

    kind: ClassVar[str] = "remove-member"
    tier: Tier
    name: str


@dataclass(frozen=True, slots=True)
class RotateKey(_Change):
    """A member's new key; the old one signs for the epochs before the change takes effect."""

    kind: ClassVar[str] = "rotate-key"
    tier: Tier
    name: str
    public_key: bytes


@dataclass(frozen=True, slots=True)
class RevokeKey(_Change):
    """A key stops signing from the next epoch on (old signatures stay verifiable)."""

    kind: ClassVar[str] = "revoke-key"
    tier: Tier
    name: str
    key_id: bytes


@dataclass(frozen=True, slots=True)
class SetCitizenThreshold(_Change):
    """The number ``w`` of citizen cosignatures that makes a block witnessed."""

    kind: ClassVar[str] = "set-citizen-threshold"
    threshold: int


MembershipChange: TypeAlias = (
    Genesis
    | RegisterEnterprise
    | DelegateVote
    | ElectBoard
    | AddMember
    | RemoveMember
    | RotateKey
    | RevokeKey
    | SetCitizenThreshold
)


def change_digest(change: MembershipChange) -> bytes:
    """SHA-256 of the canonical change record: the "block hash" its votes sign."""
    return memberlog.change_digest(change.record())


@dataclass(frozen=True, slots=True)
class ChangeCertificate:
    """A membership change recorded at ``height`` with the supernode votes approving it.

    The votes are tier ``supernode``, kind ``membership``, round 0, over
    :func:`change_digest`.
    """

    change: MembershipChange
    height: int
    votes: tuple[Vote, ...]


def certify_change(
    chain_id: str, change: MembershipChange, height: int, signers: Iterable[Signer]
) -> ChangeCertificate:
    """Sign ``change`` at ``height`` by each of ``signers`` (supernodes)."""
    digest = change_digest(change)
    votes = tuple(
        Vote.sign(
            signer,
            chain_id=chain_id,
            tier="supernode",
            kind="membership",
            height=height,
            round=0,
            block_hash=digest,
        )
        for signer in signers
    )
    return ChangeCertificate(change, height, votes)


def _record_keys(record: Mapping[str, Any], name: str) -> tuple[MemberKey, ...]:
    return tuple(
        MemberKey(str(item["name"]), bytes.fromhex(str(item["public_key"])))
        for item in record[name]
    )


def change_from_record(record: Mapping[str, Any]) -> MembershipChange:
    """The change a record of ``record()`` describes (a chain-log entry's ``change``).

    Raises :class:`MembershipError` when the record is malformed.
    """
    try:
        kind = record["type"]
        if kind == "genesis":
            return Genesis(
                supernodes=_record_keys(record, "supernodes"),
                witnesses=_record_keys(record, "witnesses"),
                citizens=_record_keys(record, "citizens"),
                citizen_threshold=int(record["citizen_threshold"]),
                board_size=int(record["board_size"]),
                epoch_length=int(record["epoch_length"]),
            )
        if kind == "register-enterprise":
            return RegisterEnterprise(str(record["name"]), bytes.fromhex(record["public_key"]))
        if kind == "delegate-vote":
            return DelegateVote(str(record["voter"]), str(record["candidate"]))
        if kind == "elect-board":
            return ElectBoard(tuple(str(name) for name in record["board"]))
        tier = record["tier"]
        if tier not in TIERS:
            raise MembershipError(f"unknown tier {tier!r}")
        if kind == "rotate-key":
            return RotateKey(tier, str(record["name"]), bytes.fromhex(record["public_key"]))
        if kind == "revoke-key":
            return RevokeKey(tier, str(record["name"]), bytes.fromhex(record["key_id"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise MembershipError(f"malformed membership change: {exc!r}") from exc
    raise MembershipError(f"unknown membership change {kind!r}")


def certificate_of_entry(record: Mapping[str, Any]) -> ChangeCertificate:
    """The certified change of a chain-log membership entry (``memberlog.entry_record``)."""
    try:
        votes = tuple(Vote.from_record(vote) for vote in record["certificate"])
        return ChangeCertificate(change_from_record(record["change"]), int(record["height"]), votes)
    except (KeyError, TypeError, ValueError) as exc:
        raise MembershipError(f"malformed membership entry: {exc!r}") from exc


@dataclass
class _State:
    """The member lists in effect from one epoch on."""

    supernodes: dict[str, Member] = field(default_factory=dict)
    enterprises: dict[str, Member] = field(default_factory=dict)
    board: tuple[str, ...] = ()
    citizens: dict[str, Member] = field(default_factory=dict)
    delegations: dict[str, str] = field(default_factory=dict)
    citizen_threshold: int = 1
    board_size: int = 4

    def copy(self) -> _State:
        """An independent copy (changes build the next epoch's state from it)."""
        return _State(
            dict(self.supernodes),
            dict(self.enterprises),
            self.board,
            dict(self.citizens),
            dict(self.delegations),
            self.citizen_threshold,
            self.board_size,
        )

    def tier_members(self, tier: Tier) -> dict[str, Member]:
        """The members of a tier (for witnesses: every registered enterprise)."""
        if tier == "supernode":
            return self.supernodes
        if tier == "citizen":
            return self.citizens
        return self.enterprises


def _new_member(key: MemberKey, epoch: int) -> Member:
    notes.check_key_name(key.name)
    if len(key.public_key) != 32:
        raise MembershipError(f"{key.name}: a public key has 32 bytes")
    return Member(
        key.name, (KeyRecord(notes.key_id(key.name, key.public_key), key.public_key, epoch),)
    )


class Membership:
    """The member lists of every tier through the epochs, built from certified changes."""

    def __init__(
        self, chain_id: str, genesis: ChangeCertificate, verifier: SignatureVerifier | None = None
    ) -> None:
        self.chain_id = chain_id
        self.verifier = verifier or SignatureVerifier()
        change = genesis.change
        if not isinstance(change, Genesis):
            raise MembershipError("the first membership change must be the genesis")
        if genesis.height != 0:
            raise MembershipError("the genesis is recorded at height 0")
        if change.epoch_length < 1:
            raise MembershipError("epoch_length must be at least 1")
        self.epoch_length = change.epoch_length
        state = _State(board_size=change.board_size)
        try:
            for key in change.supernodes:
                state.supernodes[key.name] = _new_member(key, 0)
            for key in change.witnesses:
                state.enterprises[key.name] = _new_member(key, 0)
            for key in change.citizens:
                state.citizens[key.name] = _new_member(key, 0)
        except notes.NoteError as exc:
            raise MembershipError(f"genesis: {exc}") from exc
        if not state.supernodes:
            raise MembershipError("genesis lists no supernodes")
        state.board = tuple(sorted(state.enterprises))
        state.citizen_threshold = change.citizen_threshold
        if state.citizens and not 1 <= change.citizen_threshold <= len(state.citizens):
            raise MembershipError("citizen_threshold must be between 1 and the number of citizens")
        self._epochs: list[int] = [0]
        self._states: list[_State] = [state]
        self._sets: dict[tuple[Tier, int], ValidatorSet] = {}
        self._last_height = 0
        # The genesis is signed by the supernodes it lists.
        self._check_votes(genesis, self.validator_set("supernode", 0))
        self.changes: list[ChangeCertificate] = [genesis]

    # -- queries --

    def epoch_of(self, height: int) -> int:
        """The epoch of a block height (height 0, the genesis, is in epoch 0)."""
        return 0 if height <= 0 else (height - 1) // self.epoch_length

    def _state(self, epoch: int) -> _State:
        index = bisect.bisect_right(self._epochs, epoch) - 1
        return self._states[max(index, 0)]

    def validator_set(self, tier: Tier, height: int) -> ValidatorSet:
        """The members of ``tier`` that vote on blocks at ``height``."""
        epoch = self.epoch_of(height)
        cached = self._sets.get((tier, epoch))
        if cached is not None:
            return cached
        state = self._state(epoch)
        if tier == "witness":
            members = [state.enterprises[name] for name in state.board if name in state.enterprises]
            threshold = None
        elif tier == "supernode":
            members = list(state.supernodes.values())
            threshold = None
        else:
            members = list(state.citizens.values())
            signing = sum(1 for m in members if m.current_key(epoch) is not None)
            threshold = min(state.citizen_threshold, signing) if signing else None
        result = ValidatorSet(
            chain_id=self.chain_id,
            tier=tier,
            epoch=epoch,
            members=members,
            threshold=threshold,
            verifier=self.verifier,
        )
        self._sets[(tier, epoch)] = result
        return result

    def tier_of(self, name: str, height: int) -> tuple[Tier, ...]:
        """The tiers ``name`` votes in at ``height`` (to tell a wrong-tier vote from a stranger)."""
        return tuple(tier for tier in TIERS if name in self.validator_set(tier, height))

    def enterprises(self, height: int) -> tuple[str, ...]:
        """Registered enterprises (voters and candidates) at ``height``."""
        return tuple(sorted(self._state(self.epoch_of(height)).enterprises))

    def delegations(self, height: int) -> dict[str, str]:
        """Current delegated votes ``voter -> candidate`` at ``height``."""
        return dict(self._state(self.epoch_of(height)).delegations)

    def elect(self) -> tuple[str, ...]:
        """The board the delegated votes recorded so far elect (see :func:`elect_board`)."""
        state = self._states[-1]
        return elect_board(state.delegations, state.enterprises, state.board_size)

    def check_vote(self, vote: Vote, tier: Tier) -> VoteCheck:
        """Check ``vote`` as a vote of ``tier`` at its own height.

        A vote of a known member of another tier, or claiming another tier, is
        ``WRONG_TIER``; of nobody known, ``UNKNOWN_SIGNER``.
        """
        if vote.tier != tier:
            return VoteCheck.WRONG_TIER
        result = self.validator_set(tier, vote.height).check(vote)
        if result is VoteCheck.UNKNOWN_SIGNER and self.tier_of(vote.signer, vote.height):
            return VoteCheck.WRONG_TIER
        return result

    # -- changes --

    def _check_votes(self, cert: ChangeCertificate, supernodes: ValidatorSet) -> None:
        digest = change_digest(cert.change)
        valid: set[str] = set()
        for vote in cert.votes:
            if (
                vote.kind != "membership"
                or vote.height != cert.height
                or vote.round != 0
                or vote.block_hash != digest
            ):
                continue
            if supernodes.check(vote) is VoteCheck.OK:
                valid.add(vote.signer)
        if len(valid) < supernodes.quorum:
            raise MembershipError(
                f"{cert.change.record()['type']} at height {cert.height}: "
                f"{len(valid)} valid supernode signatures, {supernodes.quorum} needed"
            )

    def apply(
        self, cert: ChangeCertificate, *, sealed_at: int | None = None, decided: int = 0
    ) -> int:
        """Apply a certified change; return the epoch it takes effect in.

        The change applies from the first block of the next epoch, or, when its
        entry was sealed after that block (``sealed_at``, the height of the
        final block that seals it), from :func:`chain.protocol.activation_height`
        (the rule of :meth:`chain.memberlog.MemberLog.apply`), never before an
        earlier change. ``decided`` is the highest height the caller has
        already voted on or decided: a change that would apply at or below it
        is refused, since those blocks are never judged again with other lists
        (the caller waits for the sealing block, which defers it).

        Raises :class:`MembershipError` when the supernode quorum certificate
        is missing or invalid, when the change is out of chain order, when it
        would re-judge a decided block, or when it is not allowed (an unknown
        member, an election that does not match the votes, ...). Nothing
        changes then.
        """
        if cert.height < max(self._last_height, 1):
            raise MembershipError(
                f"change at height {cert.height} is before the last change ({self._last_height})"
            )
        self._check_votes(cert, self.validator_set("supernode", cert.height))
        first = activation_height(
            (self.epoch_of(cert.height) + 1) * self.epoch_length + 1, sealed_at, self.epoch_length
        )
        effective = max(self.epoch_of(first), self._epochs[-1])
        if effective * self.epoch_length + 1 <= decided:
            raise MembershipError(
                f"{cert.change.record()['type']} at height {cert.height} would apply from block "
                f"{effective * self.epoch_length + 1}, but block {decided} is decided already: "
                "decided blocks are never judged again (it applies once its sealing block is known)"
            )
        state = self._states[-1].copy()
        try:
            self._change(state, cert.change, effective)
        except notes.NoteError as exc:
            raise MembershipError(str(exc)) from exc
        if self._epochs[-1] == effective:
            self._states[-1] = state
        else:
            self._epochs.append(effective)
            self._states.append(state)
        # Sets of the epochs the change reaches were computed from the old lists.
        for key in [key for key in self._sets if key[1] >= effective]:
            del self._sets[key]
        self._last_height = cert.height
        self.changes.append(cert)
        return effective

    def _change(self, state: _State, change: MembershipChange, epoch: int) -> None:
        if isinstance(change, Genesis):
            raise MembershipError("a chain has one genesis")
        if isinstance(change, RegisterEnterprise):
            if change.name in state.enterprises:
                raise MembershipError(f"enterprise {change.name} is already registered")
            state.enterprises[change.name] = _new_member(
                MemberKey(change.name, change.public_key), epoch
            )
        elif isinstance(change, DelegateVote):
            for name in (change.voter, change.candidate):
                if name not in state.enterprises:
                    raise MembershipError(f"{name} is not a registered enterprise")
            state.delegations[change.voter] = change.candidate
        elif isinstance(change, ElectBoard):
            elected = elect_board(state.delegations, state.enterprises, state.board_size)
            if tuple(sorted(change.board)) != elected:
                raise MembershipError(
                    f"election result {list(change.board)} does not match the delegated votes "
                    f"({list(elected)})"
                )
            state.board = elected
        elif isinstance(change, AddMember):
            members = state.tier_members(change.tier)
            if change.name in members:
                raise MembershipError(f"{change.tier} {change.name} already exists")
            members[change.name] = _new_member(MemberKey(change.name, change.public_key), epoch)
        elif isinstance(change, RemoveMember):
            members = state.tier_members(change.tier)
            if change.name not in members:
                raise MembershipError(f"{change.tier} {change.name} does not exist")
            if change.tier == "supernode" and len(members) == 1:
                raise MembershipError("the last supernode cannot leave")
            del members[change.name]
            if change.tier == "witness":
                state.board = tuple(name for name in state.board if name != change.name)
                state.delegations = {
                    voter: candidate
                    for voter, candidate in state.delegations.items()
                    if change.name not in (voter, candidate)
                }
        elif isinstance(change, RotateKey):
            members = state.tier_members(change.tier)
            member = members.get(change.name)
            if member is None:
                raise MembershipError(f"{change.tier} {change.name} does not exist")
            fresh = _new_member(MemberKey(change.name, change.public_key), epoch).keys[0]
            if any(record.key_id == fresh.key_id for record in member.keys):
                raise MembershipError(f"{change.name} already had key {fresh.key_id.hex()}")
            ended = tuple(
                replace(record, until_epoch=epoch) if record.valid_at(epoch) else record
                for record in member.keys
            )
            members[change.name] = Member(change.name, (*ended, fresh))
        elif isinstance(change, RevokeKey):
            members = state.tier_members(change.tier)
            member = members.get(change.name)
            if member is None:
                raise MembershipError(f"{change.tier} {change.name} does not exist")
            if not any(r.key_id == change.key_id and r.valid_at(epoch) for r in member.keys):
                raise MembershipError(f"{change.name} has no key {change.key_id.hex()} to revoke")
            members[change.name] = Member(
                change.name,
                tuple(
                    replace(r, until_epoch=epoch)
                    if r.key_id == change.key_id and r.valid_at(epoch)
                    else r
                    for r in member.keys
                ),
            )
        elif isinstance(change, SetCitizenThreshold):
            if not 1 <= change.threshold <= max(len(state.citizens), 1):
                raise MembershipError(f"citizen threshold {change.threshold} is out of range")
            state.citizen_threshold = change.threshold
        else:  # pragma: no cover - the union is exhaustive
            raise MembershipError(f"unknown change {change!r}")


def genesis_membership(
    chain_id: str,
    *,
    supernodes: Sequence[Signer],
    witnesses: Sequence[Signer],
    citizens: Sequence[Signer] = (),
    citizen_threshold: int | None = None,
    board_size: int | None = None,
    epoch_length: int = 1000,
    verifier: SignatureVerifier | None = None,
) -> Membership:
    """A membership from a genesis signed by all ``supernodes`` (simulator and tests)."""
    genesis = Genesis(
        supernodes=tuple(MemberKey.of(s) for s in supernodes),
        witnesses=tuple(MemberKey.of(s) for s in witnesses),
        citizens=tuple(MemberKey.of(s) for s in citizens),
        citizen_threshold=citizen_threshold or (len(citizens) // 2 + 1 if citizens else 1),
        board_size=board_size or len(witnesses),
        epoch_length=epoch_length,
    )
    return Membership(chain_id, certify_change(chain_id, genesis, 0, supernodes), verifier)
