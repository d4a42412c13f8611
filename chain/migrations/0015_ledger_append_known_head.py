"""PostgreSQL: a leaner ``ledger_append()``; ``ledger_append_known()`` for a known head.

Issue 17 goal 3 (ADR 0079). Under the event store's table lock the
function of migration ``chain.0011`` spent about 40 % of its time reading the
head, unpacking the frontier into an array and chaining the hashes in
PL/pgSQL, and the rest in its three writes. Two changes:

* ``ledger_append_known()``: a writer that committed the log's last entry
  knows its head and chains its next save in Python before the lock
  (``chain.ledger.postgres``). Under the lock the function only moves the
  head if it is still the one the writer knew (same size and same last entry
  hash, which commits to every entry before it), then inserts the rows the
  writer computed. If no head is known, or another writer moved it meanwhile,
  the same call chains the entries itself. Either way it returns the new head,
  which the writer remembers for its next save.
* Its chaining keeps the frontier as one ``bytea`` (32-byte hashes, left to
  right: a pop is a ``substr``, a push a concatenation), so there is no
  array to unpack and no ``string_agg`` subquery to pack it again, and it
  moves the head with an ``UPDATE`` (an ``INSERT`` only for a new log)
  instead of ``INSERT ... ON CONFLICT``. ``ledger_append()`` (same
  signature, same rows) is now that chaining with no head known.

``chain verify`` and the ledger tests recompute every hash stored, on both
paths, in Python.
"""

from typing import Any

from django.db import migrations

APPEND_KNOWN = r"""
CREATE OR REPLACE FUNCTION ledger_append_known(
    p_registry text,
    p_originator_ids uuid[],
    p_originator_versions bigint[],
    p_topics text[],
    p_recorded_at text,
    p_payload_hashes bytea[],
    p_leaf_heads bytea[],
    p_leaf_tails bytea[],
    p_known_size bigint,
    p_known_hash bytea,
    p_prev_hashes bytea[],
    p_entry_hashes bytea[],
    p_levels smallint[],
    p_indexes bigint[],
    p_digests bytea[],
    p_frontier bytea
) RETURNS TABLE (size bigint, entry_hash bytea, frontier bytea)
LANGUAGE plpgsql AS $body$
#variable_conflict use_column
DECLARE
    v_count integer := cardinality(p_originator_ids);
    v_size bigint;
    v_last bytea;
    v_frontier bytea;
    v_leaf bytea;
    v_digest bytea;
    v_end integer;
    v_level smallint;
    v_index bigint;
    v_seqs bigint[] := '{}';
    v_prev_hashes bytea[] := '{}';
    v_entry_hashes bytea[] := '{}';
    v_levels smallint[] := '{}';
    v_indexes bigint[] := '{}';
    v_digests bytea[] := '{}';
BEGIN
    IF p_known_size IS NOT NULL THEN
        -- The writer chained the entries onto the head it knew: accept them
        -- if that is still the head (the last entry hash commits to all).
        UPDATE ledger_head h
            SET size = p_known_size + v_count,
                entry_hash = p_entry_hashes[v_count],
                frontier = p_frontier
            WHERE h.registry = p_registry
              AND h.size = p_known_size AND h.entry_hash = p_known_hash;
        IF FOUND THEN
            INSERT INTO ledger_entry (
                registry, seq, originator_id, originator_version, topic, recorded_at,
                payload_hash, prev_hash, entry_hash
            )
            SELECT p_registry, p_known_size + u.n, u.originator_id, u.originator_version,
                   u.topic, p_recorded_at, u.payload_hash, u.prev_hash, u.entry_hash
            FROM unnest(
                p_originator_ids, p_originator_versions, p_topics,
                p_payload_hashes, p_prev_hashes, p_entry_hashes
            ) WITH ORDINALITY AS u(
                originator_id, originator_version, topic, payload_hash, prev_hash,
                entry_hash, n
            );
            INSERT INTO ledger_subtree (registry, level, idx, hash)
            SELECT p_registry, u.level, u.idx, u.hash
            FROM unnest(p_levels, p_indexes, p_digests) AS u(level, idx, hash);
            RETURN QUERY SELECT p_known_size + v_count, p_entry_hashes[v_count], p_frontier;
            RETURN;
        END IF;
    END IF;
    -- No head known, or another writer moved it: chain the entries here.
    SELECT h.size, h.entry_hash, h.frontier INTO v_size, v_last, v_frontier
        FROM ledger_head h WHERE h.registry = p_registry;
    IF NOT FOUND THEN
        v_size := 0;
        v_last := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
        v_frontier := '\x'::bytea;
    END IF;
    FOR i IN 1 .. v_count LOOP
        v_leaf := p_leaf_heads[i] || convert_to((v_size + 1)::text, 'UTF8') || p_leaf_tails[i];
        v_seqs[i] := v_size + 1;
        v_prev_hashes[i] := v_last;
        v_last := sha256(v_last || v_leaf);
        v_entry_hashes[i] := v_last;
        -- The new leaf completes one subtree per set low bit of the old size;
        -- the frontier is the hashes of the complete subtrees, 32 bytes each.
        v_digest := sha256('\x00'::bytea || v_leaf);
        v_level := 0;
        v_index := v_size;
        v_levels := v_levels || v_level;
        v_indexes := v_indexes || v_index;
        v_digests := v_digests || v_digest;
        WHILE (v_size >> v_level) & 1 = 1 LOOP
            v_end := length(v_frontier) - 32;
            v_digest := sha256('\x01'::bytea || substr(v_frontier, v_end + 1) || v_digest);
            v_frontier := substr(v_frontier, 1, v_end);
            v_level := v_level + 1;
            v_index := v_index >> 1;
            v_levels := v_levels || v_level;
            v_indexes := v_indexes || v_index;
            v_digests := v_digests || v_digest;
        END LOOP;
        v_frontier := v_frontier || v_digest;
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
    UPDATE ledger_head h SET size = v_size, entry_hash = v_last, frontier = v_frontier
        WHERE h.registry = p_registry;
    IF NOT FOUND THEN
        INSERT INTO ledger_head (registry, size, entry_hash, frontier)
        VALUES (p_registry, v_size, v_last, v_frontier);
    END IF;
    RETURN QUERY SELECT v_size, v_last, v_frontier;
END;
$body$
"""

# The entry point of chain.ledger.together (and of 0011's callers), whose
# result nobody reads: the same chaining, no head known.
APPEND = """
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
LANGUAGE sql AS $body$
    SELECT k.size FROM ledger_append_known(
        p_registry, p_originator_ids, p_originator_versions, p_topics, p_recorded_at,
        p_payload_hashes, p_leaf_heads, p_leaf_tails,
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    ) AS k
$body$
"""

DROP_KNOWN = (
    "DROP FUNCTION IF EXISTS ledger_append_known(text, uuid[], bigint[], text[], text, "
    "bytea[], bytea[], bytea[], bigint, bytea, bytea[], bytea[], smallint[], bigint[], "
    "bytea[], bytea)"
)


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_KNOWN)
        schema_editor.execute(APPEND)


def restore(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        from importlib import import_module

        previous = import_module("chain.migrations.0011_ledger_append_function")
        schema_editor.execute(previous.APPEND)
        schema_editor.execute(DROP_KNOWN)


class Migration(migrations.Migration):
    dependencies = [
        ("chain", "0014_ledger_partitioned_by_registry"),
    ]

    operations = [migrations.RunPython(create, restore)]
