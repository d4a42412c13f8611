"""The covert access aggregate in its own module still loads events stored under its first topic."""

from __future__ import annotations

from eventsourcing.utils import resolve_topic

from registries.court.covert import CovertAccess


def test_events_stored_under_the_domain_modules_topic_resolve_to_the_moved_aggregate() -> None:
    assert resolve_topic("registries.court.domain:CovertAccess") is CovertAccess
    assert resolve_topic("registries.court.domain:CovertAccess.Authorised") is (
        CovertAccess.Authorised
    )
    assert resolve_topic("registries.court.domain:CovertAccess.Started") is CovertAccess.Started
