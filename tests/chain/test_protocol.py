"""The protocol's one quorum rule."""

import pytest

from chain.protocol import max_faulty
from chain.protocol import quorum as bft_quorum


@pytest.mark.parametrize(
    ("size", "faulty", "quorum"),
    [(1, 0, 1), (3, 0, 3), (4, 1, 3), (5, 1, 4), (7, 2, 5), (10, 3, 7)],
)
def test_quorum_is_2f_plus_1_of_3f_plus_1(size: int, faulty: int, quorum: int) -> None:
    assert max_faulty(size) == faulty
    assert bft_quorum(size) == quorum
