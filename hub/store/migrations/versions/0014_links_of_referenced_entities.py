"""links: only for entities that other records refer to, without the hub id index

References point at managers and customers only, so only theirs are looked
up in `links`; a links row for every activity, contact and goal cost an
index write per row on the ingest path (two B-trees, one keyed by a random
UUID) and was never read: every hub id is derived from (connection, entity,
source id) anyway. The index on `links.hub_id` served no query. Both go.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM links WHERE entity NOT IN ('managers', 'customers')")
    with op.batch_alter_table("links") as batch:
        batch.drop_index("ix_links_hub_id")


def downgrade() -> None:
    with op.batch_alter_table("links") as batch:
        batch.create_index("ix_links_hub_id", ["hub_id"], unique=False)
    op.execute(
        "INSERT INTO links (connection, entity, source_id, hub_id, linked_at) "
        "SELECT source, 'activities', source_id, id, first_synced_at FROM activities "
        "UNION ALL SELECT source, 'contacts', source_id, id, first_synced_at FROM contacts "
        "UNION ALL SELECT source, 'goals', source_id, id, first_synced_at FROM goals"
    )
