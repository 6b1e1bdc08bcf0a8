"""Where identity lives in the store.

- `identity_members`: every resolved manager and customer record, with the
  `unified_id` of its entity (the hub id of the cluster's anchor record).
- `identity_evidence`: one row per merge: which records, which key or score,
  or which person decided.
- `identity_decisions`: people's link (same) / unlink (never the same)
  decisions, by source reference, with who and when; they outlive re-syncs,
  re-matches and store rebuilds.
- `identity_review`: scored pairs between the two thresholds, to decide.
- `identity_issues`: what identity refused to use: shared keys, invalid
  credit codes, oversized blocks.
- `identity_keys`: each record's key and block values (hashed), so an
  incremental match finds the records a change touches without reading all.

The survived records (`unified_managers`, `unified_customers`) are derived
from the entity tables, so they live in `hub.store.tables`.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, Index, Integer, String, Table, Text

from hub.store.metadata import HUB_ID, metadata
from hub.store.types import UTCDateTime, json_type

ENTITY = String(32)
RESOLVED = ("managers", "customers")

identity_members = Table(
    "identity_members",
    metadata,
    Column("entity", ENTITY, primary_key=True),
    Column("hub_id", HUB_ID, primary_key=True),
    Column("unified_id", HUB_ID, nullable=False),
    Column("matched_at", UTCDateTime, nullable=False),
    Index("ix_identity_members_entity_unified_id", "entity", "unified_id"),
)

identity_evidence = Table(
    "identity_evidence",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", ENTITY, nullable=False),
    Column("unified_id", HUB_ID, nullable=False),
    Column("a_id", HUB_ID, nullable=False),
    Column("b_id", HUB_ID, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("detail", json_type(), nullable=False),
    Column("score", Float),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_identity_evidence_entity_unified_id", "entity", "unified_id"),
)

identity_decisions = Table(
    "identity_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", ENTITY, nullable=False),
    Column("decision", String(8), nullable=False),
    Column("a_connection", String(128), nullable=False),
    Column("a_source_id", String(255), nullable=False),
    Column("b_connection", String(128), nullable=False),
    Column("b_source_id", String(255), nullable=False),
    Column("decided_by", String(255), nullable=False),
    Column("decided_at", UTCDateTime, nullable=False),
    Column("note", Text),
    Index("ix_identity_decisions_entity", "entity"),
)

identity_review = Table(
    "identity_review",
    metadata,
    Column("entity", ENTITY, primary_key=True),
    Column("a_id", HUB_ID, primary_key=True),
    Column("b_id", HUB_ID, primary_key=True),
    Column("score", Float, nullable=False),
    Column("detail", json_type(), nullable=False),
    Column("found_at", UTCDateTime, nullable=False),
)

identity_issues = Table(
    "identity_issues",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", ENTITY, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("key", String(32), nullable=False),
    Column("value", String(255), nullable=False),
    Column("hub_id", HUB_ID),
    Column("records", Integer, nullable=False),
    Column("found_at", UTCDateTime, nullable=False),
    Index("ix_identity_issues_entity_kind", "entity", "kind"),
)

identity_keys = Table(
    "identity_keys",
    metadata,
    Column("entity", ENTITY, primary_key=True),
    Column("value", String(24), primary_key=True),
    Column("hub_id", HUB_ID, primary_key=True),
    Index("ix_identity_keys_entity_hub_id", "entity", "hub_id"),
    sqlite_with_rowid=False,
)

identity_state = Table(
    "identity_state",
    metadata,
    Column("entity", ENTITY, primary_key=True),
    Column("watermark", UTCDateTime),
    Column("matched_at", UTCDateTime, nullable=False),
    Column("counts", json_type(), nullable=False),
)
"""Per entity: records synced at or before `watermark` have been matched."""
