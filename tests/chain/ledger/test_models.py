"""The ledger's models: what a membership entry shows at a glance."""

from __future__ import annotations

from chain.ledger.models import MembershipEntry, MembershipSummary


def test_a_membership_summary_reads_type_heights_and_each_signer_once_sorted() -> None:
    entry = MembershipEntry(registry="consensus", seq=3)
    entry.__dict__["payload"] = {
        "change": {"type": "rotate-key", "node": "s2"},
        "height": "12",
        "from_height": 20,
        "certificate": [{"signer": "s3"}, {"signer": "s1"}, {"signer": "s3"}],
    }
    assert entry.summary == MembershipSummary(
        type="rotate-key", height=12, from_height=20, signers=("s1", "s3")
    )
