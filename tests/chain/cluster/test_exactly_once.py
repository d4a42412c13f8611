"""The exactly-once checker fails each hand-made history that breaks a property."""

from __future__ import annotations

from uuid import UUID, uuid5

from tests.chain.cluster.exactly_once import Command, FinalEntry, Violation, check_exactly_once

SPACE = UUID(int=0)


def _id(n: int) -> UUID:
    return uuid5(SPACE, str(n))


def _command(writer: str, n: int, answered: bool = True) -> Command:
    return Command(writer, f"{writer}#{n}", _id(n), f"code-{n}" if answered else None)


def _final(*pairs: tuple[int, int]) -> list[FinalEntry]:
    """(seq, command number) pairs as final entries."""
    return [FinalEntry(seq, _id(n)) for seq, n in pairs]


def _kinds(violations: list[Violation]) -> list[str]:
    return [v.kind for v in violations]


def test_two_writers_interleaved_and_an_unanswered_command_in_either_state_pass() -> None:
    history = [
        _command("a", 1),
        _command("b", 2),
        _command("a", 3, answered=False),
        _command("a", 4),
        _command("b", 5, answered=False),
        _command("b", 6),
    ]
    # Writer b's 2 is final after a's 4: only each writer's own order counts.
    # a's unanswered 3 took effect, b's unanswered 5 did not: both are fine.
    final = _final((1, 1), (2, 3), (3, 4), (4, 2), (5, 6))
    assert check_exactly_once(history, final) == []


def test_an_acknowledged_command_that_is_not_final_is_missing() -> None:
    history = [_command("a", 1), _command("a", 2)]
    violations = check_exactly_once(history, _final((1, 1)))
    assert _kinds(violations) == ["missing"]
    assert "a#2" in violations[0].detail


def test_a_command_final_twice_is_a_duplicate_answered_or_not() -> None:
    history = [_command("a", 1), _command("a", 2, answered=False)]
    violations = check_exactly_once(history, _final((1, 1), (2, 2), (3, 1), (4, 2)))
    assert _kinds(violations) == ["duplicate", "duplicate"]
    assert "seqs [1, 3]" in violations[0].detail


def test_acknowledged_commands_final_out_of_order_break_the_ledger_order() -> None:
    history = [_command("a", 1), _command("a", 2), _command("a", 3)]
    violations = check_exactly_once(history, _final((1, 1), (2, 3), (3, 2)))
    assert _kinds(violations) == ["order"]
    assert "a#3 acknowledged after a#2" in violations[0].detail


def test_a_final_entry_no_command_created_is_a_phantom() -> None:
    history = [_command("a", 1)]
    violations = check_exactly_once(history, _final((1, 1), (2, 99)))
    assert _kinds(violations) == ["phantom"]
    assert str(_id(99)) in violations[0].detail


def test_two_commands_claiming_one_entry_is_a_shared_answer() -> None:
    history = [_command("a", 1), Command("b", "b#1", _id(1), "code-1")]
    violations = check_exactly_once(history, _final((1, 1)))
    assert "shared answer" in _kinds(violations)


def test_an_empty_history_against_an_empty_chain_passes() -> None:
    assert check_exactly_once([], []) == []
