"""customer search: a trigram index on names, and customers by source id and credit code

The dashboard finds customers by part of their name, their source id or
their credit code. PostgreSQL: a GIN trigram index (pg_trgm) on
customers.name, when the extension is available to this database (without
it the search still works, by scanning). SQLite: `customer_search` and its
FTS5 trigram index, kept by triggers (see hub/store/search.py). Both: plain
indexes on customers.source_id and customers.credit_code.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 13:40:00
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from hub.store import search

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("hub.store")


def upgrade() -> None:
    op.create_index("ix_customers_source_id", "customers", ["source_id"])
    op.create_index("ix_customers_credit_code", "customers", ["credit_code"])
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in search.SQLITE:
            op.execute(statement)
        return
    if not bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).first():
        log.warning("pg_trgm is not installed: customer name search scans the customers")
        return
    try:
        with bind.begin_nested():
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except DBAPIError:
        log.warning("cannot create extension pg_trgm here: customer name search scans")
        return
    op.execute(
        f"CREATE INDEX {search.TRIGRAM_INDEX} ON customers USING gin (name gin_trgm_ops)"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in search.SQLITE_DROP:
            op.execute(statement)
    else:
        op.execute(f"DROP INDEX IF EXISTS {search.TRIGRAM_INDEX}")
    op.drop_index("ix_customers_credit_code", table_name="customers")
    op.drop_index("ix_customers_source_id", table_name="customers")
