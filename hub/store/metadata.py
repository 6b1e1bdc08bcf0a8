"""The one SQLAlchemy MetaData every table of the store joins.

Its own module so that the store's tables (`hub.store.tables`) and the rule
results' tables (`hub.rules.tables`) can both join it without importing each
other.
"""

from __future__ import annotations

from sqlalchemy import MetaData, String

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    }
)

HUB_ID = String(36)
"""A hub id column: a UUID as text."""
