"""An index for finding customers by part of their name, on both stores.

The dashboard's customer search is `name LIKE '%text%'`, which no B-tree
index serves: over 100,000 customers that is a scan per request. PostgreSQL
answers it from a trigram GIN index on `customers.name` (pg_trgm), used by
the planner for LIKE as it is. SQLite has no such index type, so its
migration keeps the names in a narrow table, `customer_search`, with an FTS5
trigram index over it, both kept up to date by triggers on `customers`
(every write path, bulk or not, goes through them). The search asks the index
for candidates and keeps the `LIKE` as the final filter, so what matches is
exactly what the plain `LIKE` matched before.

These objects are created by migration 0012 in SQL of each store, not
declared in `hub.store.tables`: `NAMES` lists them for the schema check.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, select

TRIGRAM_INDEX = "ix_customers_name_trgm"
"""PostgreSQL: GIN (name gin_trgm_ops) on customers, when pg_trgm can be had."""

SEARCH_TABLE = "customer_search"
NAMES_INDEX = "customer_search_names"
"""SQLite: the names (a stable integer key per customer) and their FTS5 trigram index."""

NAMES = {TRIGRAM_INDEX, SEARCH_TABLE, NAMES_INDEX}

MIN_INDEXED = 3
"""Trigrams need three characters; shorter texts are matched by scanning (SQLite
3.40's FTS5 also finds nothing, rather than scanning, for a two-character CJK
pattern)."""

_names = MetaData()
customer_search = Table(
    SEARCH_TABLE,
    _names,
    Column("key", Integer, primary_key=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("name", String, nullable=False),
)
_fts = Table(NAMES_INDEX, _names, Column("rowid", Integer), Column("name", String))

SQLITE = [
    f"CREATE TABLE {SEARCH_TABLE} (key INTEGER PRIMARY KEY, "
    "id VARCHAR(36) NOT NULL UNIQUE, name VARCHAR NOT NULL)",
    f"CREATE VIRTUAL TABLE {NAMES_INDEX} USING fts5(name, content='{SEARCH_TABLE}', "
    "content_rowid='key', tokenize='trigram')",
    # customers -> customer_search
    f"CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN "
    f"INSERT INTO {SEARCH_TABLE} (id, name) VALUES (new.id, new.name); END",
    f"CREATE TRIGGER customers_search_update AFTER UPDATE OF id, name ON customers "
    f"WHEN new.id IS NOT old.id OR new.name IS NOT old.name BEGIN "
    f"UPDATE {SEARCH_TABLE} SET id = new.id, name = new.name WHERE id = old.id; END",
    f"CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN "
    f"DELETE FROM {SEARCH_TABLE} WHERE id = old.id; END",
    # customer_search -> its FTS5 index (an external-content table's usual triggers)
    f"CREATE TRIGGER customer_search_insert AFTER INSERT ON {SEARCH_TABLE} BEGIN "
    f"INSERT INTO {NAMES_INDEX} (rowid, name) VALUES (new.key, new.name); END",
    f"CREATE TRIGGER customer_search_delete AFTER DELETE ON {SEARCH_TABLE} BEGIN "
    f"INSERT INTO {NAMES_INDEX} ({NAMES_INDEX}, rowid, name) "
    "VALUES ('delete', old.key, old.name); END",
    f"CREATE TRIGGER customer_search_update AFTER UPDATE ON {SEARCH_TABLE} BEGIN "
    f"INSERT INTO {NAMES_INDEX} ({NAMES_INDEX}, rowid, name) "
    "VALUES ('delete', old.key, old.name); "
    f"INSERT INTO {NAMES_INDEX} (rowid, name) VALUES (new.key, new.name); END",
    # the customers already stored
    f"INSERT INTO {SEARCH_TABLE} (id, name) SELECT id, name FROM customers",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS customers_search_insert",
    "DROP TRIGGER IF EXISTS customers_search_update",
    "DROP TRIGGER IF EXISTS customers_search_delete",
    f"DROP TABLE IF EXISTS {NAMES_INDEX}",
    f"DROP TABLE IF EXISTS {SEARCH_TABLE}",
]


def name_contains(dialect: str, name: Any, id_: Any, text: str) -> Any:
    """`name LIKE '%text%'` (wildcards already removed from text), through the store's index."""
    like = name.like(f"%{text}%")
    if dialect != "sqlite" or len(text) < MIN_INDEXED:
        return like  # PostgreSQL's planner takes the trigram index for LIKE by itself
    s = customer_search
    candidates = select(s.c.id).where(
        s.c.key.in_(select(_fts.c.rowid).where(_fts.c.name.like(f"%{text}%")))
    )
    return id_.in_(candidates) & like
