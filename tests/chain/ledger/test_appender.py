"""The envelope prepared before the lock is the canonical envelope once its seq is filled in."""

from __future__ import annotations

from uuid import uuid4

import pytest

from chain.encoding import entry_leaf, sha256
from chain.ledger.appender import (
    LogHead,
    StoredEventRef,
    append_entries,
    leaf_template,
    prepare_entries,
)

AWKWARD_TOPICS = [
    "registries.business.domain:Company.Registered",
    'a,"seq":0,"topic":"b',
    'ü \\ " \n',
]


@pytest.mark.parametrize("topic", AWKWARD_TOPICS)
@pytest.mark.parametrize("seq", [1, 9, 10, 12345, 2**40])
def test_a_leaf_template_gives_the_canonical_envelope_at_any_seq(topic: str, seq: int) -> None:
    fields = {
        "registry": "business",
        "originator_id": str(uuid4()),
        "originator_version": 3,
        "topic": topic,
        "recorded_at": "2026-12-07T17:00:00.000001Z",
        "payload_hash": sha256(b"state"),
    }
    assert leaf_template(**fields).leaf(seq) == entry_leaf(seq=seq, **fields)  # type: ignore[arg-type]


def test_prepared_entries_are_the_appended_entries_without_their_places() -> None:
    events = [
        StoredEventRef(str(uuid4()), version, topic, f"state {version}".encode())
        for version, topic in enumerate(AWKWARD_TOPICS, start=1)
    ]
    recorded_at = "2026-12-07T17:00:00.000001Z"
    entries, _ = append_entries("business", LogHead.empty(), events, recorded_at)
    prepared = prepare_entries("business", events, recorded_at)
    assert prepared.payload_hashes == [entry.payload_hash for entry in entries]
    assert prepared.originator_ids == [event.originator_id for event in events]
    assert prepared.originator_versions == [1, 2, 3]
    assert prepared.topics == AWKWARD_TOPICS
    for template, entry in zip(prepared.templates, entries, strict=True):
        assert template.leaf(entry.seq) == entry_leaf(
            registry="business",
            seq=entry.seq,
            originator_id=entry.originator_id,
            originator_version=entry.originator_version,
            topic=entry.topic,
            recorded_at=recorded_at,
            payload_hash=entry.payload_hash,
        )
