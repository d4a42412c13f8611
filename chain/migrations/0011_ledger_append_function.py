"""PostgreSQL: ``ledger_append()``, which chains a save's entries next to the data (ADR 0055).

The PostgreSQL recorder prepares each entry's canonical envelope without its
seq (``chain.ledger.appender.prepare_entries``) before the event store takes
its table lock; under the lock this function reads the log's head, fills in
each seq, computes the entry hashes (``SHA-256(prev_hash || envelope)``) and
the RFC 9162 subtree hashes (leaf ``SHA-256(0x00 || envelope)``, node
``SHA-256(0x01 || left || right)``) with the frontier in ``ledger_head``,
and writes the entries, subtrees and head: one statement, no round trip to
the client while the lock is held. ``chain verify`` and the ledger tests
recompute every hash it stores in Python. SQLite keeps appending in Python
(one writer), so this is a no-op there.
"""

from typing import Any

from django.db import migrations

APPEND = r"""
CREATE OR REPLACE FUNCTION ledger_append(
    p_registry text,
    p_originator_ids uuid[],
    p_originator_versions bigint[],
    p_topics text[],
    p_recorded_at text,
    p_payload_hashes bytea[],
    p_leaf_heads bytea[],
    p_leaf_tails bytea[]
) RETURNS bigint
LANGUAGE plpgsql AS $body$
DECLARE
    v_size bigint;
    v_last bytea;
    v_frontier bytea;
    v_hashes bytea[] := '{}';
    v_leaf bytea;
    v_digest bytea;
    v_level smallint;
    v_index bigint;
    v_seqs bigint[] := '{}';
    v_prev_hashes bytea[] := '{}';
    v_entry_hashes bytea[] := '{}';
    v_levels smallint[] := '{}';
    v_indexes bigint[] := '{}';
    v_digests bytea[] := '{}';
BEGIN
    SELECT h.size, h.entry_hash, h.frontier INTO v_size, v_last, v_frontier
        FROM ledger_head h WHERE h.registry = p_registry;
    IF NOT FOUND THEN
        v_size := 0;
        v_last := decode(repeat('00', 32), 'hex');
        v_frontier := ''::bytea;
    END IF;
    FOR i IN 0 .. length(v_frontier) / 32 - 1 LOOP
        v_hashes := array_append(v_hashes, substring(v_frontier FROM i * 32 + 1 FOR 32));
    END LOOP;
    FOR i IN 1 .. cardinality(p_originator_ids) LOOP
        v_leaf := p_leaf_heads[i] || convert_to((v_size + 1)::text, 'UTF8') || p_leaf_tails[i];
        v_seqs := array_append(v_seqs, v_size + 1);
        v_prev_hashes := array_append(v_prev_hashes, v_last);
        v_last := sha256(v_last || v_leaf);
        v_entry_hashes := array_append(v_entry_hashes, v_last);
        -- The new leaf completes one subtree per set low bit of the old size.
        v_digest := sha256('\x00'::bytea || v_leaf);
        v_level := 0;
        v_index := v_size;
        v_levels := array_append(v_levels, v_level);
        v_indexes := array_append(v_indexes, v_index);
        v_digests := array_append(v_digests, v_digest);
        WHILE (v_size >> v_level) & 1 = 1 LOOP
            v_digest := sha256('\x01'::bytea || v_hashes[cardinality(v_hashes)] || v_digest);
            v_hashes := v_hashes[1 : cardinality(v_hashes) - 1];
            v_level := v_level + 1;
            v_index := v_index >> 1;
            v_levels := array_append(v_levels, v_level);
            v_indexes := array_append(v_indexes, v_index);
            v_digests := array_append(v_digests, v_digest);
        END LOOP;
        v_hashes := array_append(v_hashes, v_digest);
        v_size := v_size + 1;
    END LOOP;
    INSERT INTO ledger_entry (
        registry, seq, originator_id, originator_version, topic, recorded_at,
        payload_hash, prev_hash, entry_hash
    )
    SELECT p_registry, u.seq, u.originator_id, u.originator_version, u.topic, p_recorded_at,
           u.payload_hash, u.prev_hash, u.entry_hash
    FROM unnest(
        v_seqs, p_originator_ids, p_originator_versions, p_topics,
        p_payload_hashes, v_prev_hashes, v_entry_hashes
    ) AS u(seq, originator_id, originator_version, topic, payload_hash, prev_hash, entry_hash);
    INSERT INTO ledger_subtree (registry, level, idx, hash)
    SELECT p_registry, u.level, u.idx, u.hash
    FROM unnest(v_levels, v_indexes, v_digests) AS u(level, idx, hash);
    INSERT INTO ledger_head (registry, size, entry_hash, frontier)
    VALUES (
        p_registry, v_size, v_last,
        coalesce((SELECT string_agg(f.hash, ''::bytea ORDER BY f.n)
                  FROM unnest(v_hashes) WITH ORDINALITY AS f(hash, n)), ''::bytea)
    )
    ON CONFLICT (registry) DO UPDATE SET
        size = excluded.size, entry_hash = excluded.entry_hash, frontier = excluded.frontier;
    RETURN v_size;
END;
$body$
"""

DROP = (
    "DROP FUNCTION IF EXISTS ledger_append(text, uuid[], bigint[], text[], text, bytea[], "
    "bytea[], bytea[])"
)


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("chain", "0010_node_member_entries"),
    ]

    operations = [migrations.RunPython(create, drop)]
