"""The sealing mapper: which values it seals with whose key, and what an erasure leaves."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import DatetimeAsISO, JSONTranscoder, UUIDAsHex

from registries.common.application import DateAsISO
from registries.common.errors import RegistryError
from registries.common.sealing import (
    PERSON_CODE,
    RECORD,
    KeyStore,
    Rules,
    SealedValueAsDict,
    SealingMapper,
    record_name,
)
from registries.court.models import KeyAccess, PersonKey

pytestmark = pytest.mark.django_db

ACCUSED = "38001085718"
JUDGE = "47001020215"
COURT = "70000123"


class Docket(Aggregate):
    class Filed(Aggregate.Created):
        title: str
        persons: list[str]
        court: str
        actor: str
        filed_on: date

    def __init__(self, title: str, persons: list[str], court: str, actor: str, filed_on: date):
        self.title = title


RULES: Rules = {
    Docket.Filed: {
        "title": RECORD,
        "persons": PERSON_CODE,
        "court": PERSON_CODE,
        "actor": PERSON_CODE,
    }
}


def mapper() -> SealingMapper:
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), DateAsISO(), SealedValueAsDict()):
        transcoder.register(transcoding)
    store = KeyStore("court", PersonKey, KeyAccess, audit_use=False)
    return SealingMapper(transcoder, keystore=store, rules=RULES)


def filed(actor: str = JUDGE) -> Docket.Filed:
    docket = Docket("Theft, in camera", [ACCUSED, COURT], COURT, actor, date(1957, 11, 23))
    event = docket.collect_events()[0]
    assert isinstance(event, Docket.Filed)
    return event


def test_personal_codes_and_content_are_sealed_and_public_codes_stay_in_clear() -> None:
    sealing = mapper()
    stored = sealing.to_stored_event(filed())
    for secret in (ACCUSED, JUDGE, "Theft"):
        assert secret.encode() not in stored.state, secret
    assert stored.state.count(COURT.encode()) == 2  # an organisation's code is public
    assert b"1957-11-23" in stored.state  # a field the rules do not name
    opened = sealing.to_domain_event(stored)
    assert isinstance(opened, Docket.Filed)
    assert (opened.title, opened.persons, opened.actor) == (
        "Theft, in camera",
        [ACCUSED, COURT],
        JUDGE,
    )
    # One key per person named, one for the record; a role word is not a person.
    assert PersonKey.objects.count() == 3
    assert b"system" in mapper().to_stored_event(filed(actor="system")).state


def test_a_destroyed_key_reads_as_nothing_and_refuses_new_values() -> None:
    sealing = mapper()
    event = filed()
    stored = sealing.to_stored_event(event)
    assert sealing.keystore.destroy(ACCUSED, "judge", "erasure")
    opened = sealing.to_domain_event(stored)
    assert isinstance(opened, Docket.Filed)
    assert (opened.persons, opened.actor, opened.title) == (
        [None, COURT],
        JUDGE,
        "Theft, in camera",
    )
    with pytest.raises(RegistryError) as refused:
        sealing.to_stored_event(filed())
    assert refused.value.status == 410
    assert KeyAccess.objects.filter(action="refused").count() == 1


def test_the_record_key_is_named_by_the_aggregate_and_erases_its_content() -> None:
    sealing = mapper()
    event = filed()
    stored = sealing.to_stored_event(event)
    assert sealing.keystore.destroy(record_name(event.originator_id), "judge", "erasure")
    opened = sealing.to_domain_event(stored)
    assert isinstance(opened, Docket.Filed)
    assert vars(opened)["title"] is None
    assert opened.persons == [ACCUSED, COURT]
    assert not sealing.keystore.destroy(record_name(uuid4()), "judge", "nothing to destroy")


def test_an_erasure_in_one_instance_stops_another_instances_cached_key_at_once() -> None:
    # Two application instances (two processes' mappers, each with its own key cache)
    # read the same stored event, so both hold the accused's unwrapped key.
    eraser, other = mapper(), mapper()
    stored = eraser.to_stored_event(filed())
    for instance in (eraser, other):
        opened = instance.to_domain_event(stored)
        assert isinstance(opened, Docket.Filed)
        assert opened.persons == [ACCUSED, COURT]
    assert other.keystore._cache  # the other instance's key is cached

    assert eraser.keystore.destroy(ACCUSED, "registrar", "erasure")

    # Well within KeyStore.CACHE_SECONDS: neither instance opens the erased code any more,
    # and the other instance dropped the destroyed key from its cache.
    for instance in (eraser, other):
        opened = instance.to_domain_event(stored)
        assert isinstance(opened, Docket.Filed)
        assert opened.persons == [None, COURT]
        assert opened.actor == JUDGE  # the judge's key was not destroyed: still cached, opens
    destroyed = PersonKey.objects.get(wrapped__isnull=True).key_id
    assert destroyed not in other.keystore._cache
    assert destroyed not in eraser.keystore._cache


def test_a_batch_of_events_checks_its_keys_in_one_query_and_misses_no_erasure() -> None:
    eraser, other = mapper(), mapper()
    stored = [eraser.to_stored_event(filed()) for _ in range(6)]
    with CaptureQueriesContext(connection) as queries:
        opened = other.to_domain_events(stored)
    keys = [q for q in queries.captured_queries if "court_personkey" in q["sql"]]
    assert len(keys) == 1  # six events, three keys each, one key query
    assert [vars(event)["persons"] for event in opened] == [[ACCUSED, COURT]] * 6

    assert eraser.keystore.destroy(ACCUSED, "registrar", "erasure")
    # Cached in `other`, destroyed by `eraser`: no event of the next batch opens it.
    with CaptureQueriesContext(connection) as queries:
        opened = other.to_domain_events(stored)
    assert len([q for q in queries.captured_queries if "court_personkey" in q["sql"]]) == 1
    assert [vars(event)["persons"] for event in opened] == [[None, COURT]] * 6
    assert [vars(event)["actor"] for event in opened] == [JUDGE] * 6


class Read(Aggregate):
    class Recorded(Aggregate.Created):
        record: dict[str, object]

    def __init__(self, record: dict[str, object]):
        self.record = record


NESTED: Rules = {
    Read.Recorded: {"record": {"subjects": PERSON_CODE, "reader": PERSON_CODE, "what": RECORD}}
}


def test_the_entries_of_a_dict_are_sealed_by_their_own_rules() -> None:
    sealing = mapper()
    sealing.rules = NESTED
    record: dict[str, object] = {
        "subjects": [ACCUSED, JUDGE],
        "reader": "org-70000123",
        "what": f"case card naming {ACCUSED}",
        "registry": "court",
    }
    event = Read(record).collect_events()[0]
    stored = sealing.to_stored_event(event)
    for secret in (ACCUSED, JUDGE, "case card"):
        assert secret.encode() not in stored.state, secret
    assert b"org-70000123" in stored.state  # not a personal code: stays in clear
    assert b'"court"' in stored.state  # an entry the rule does not name
    assert vars(sealing.to_domain_event(stored))["record"] == record

    assert sealing.keystore.destroy(JUDGE, "registrar", "erasure")
    assert vars(sealing.to_domain_event(stored))["record"] == {
        **record,
        "subjects": [ACCUSED, None],
    }
    assert sealing.keystore.destroy(record_name(event.originator_id), "registrar", "erasure")
    assert vars(sealing.to_domain_event(stored))["record"]["what"] is None


def test_destroying_many_keys_at_once_destroys_only_those_named_and_audits_each() -> None:
    store = mapper().keystore
    names = [record_name(uuid4()) for _ in range(3)]
    for name in names:
        store.key_for(name, "tracker", "test")
    assert store.destroy_many([*names[:2], record_name(uuid4())], "registrar", "erasure") == 2
    assert [store.is_destroyed(name) for name in names] == [True, True, False]
    assert KeyAccess.objects.filter(action="destroy").count() == 2
    assert store.destroy_many(names[:2], "registrar", "again") == 0  # a repeat finds none
