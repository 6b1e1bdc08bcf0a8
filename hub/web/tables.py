"""The dashboard's own tables: who may log in, and inquiries on statement lines.

Users are people of the company, not records synced from a source: a user
has a role (admin, lead, manager), a lead a team, a manager the hub id of
the manager record they are. Inquiries and their events are append-mostly:
every change of status adds an event, so the audit trail is complete.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from hub.store.metadata import HUB_ID, metadata
from hub.store.types import UTCDateTime

ROLES = ("admin", "lead", "manager")

web_users = Table(
    "web_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(128), nullable=False, unique=True),
    Column("password_hash", Text),
    Column("role", String(16), nullable=False),
    Column("manager_id", HUB_ID),
    Column("team", String(128)),
    Column("language", String(16)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""password_hash is NULL for users who only log in through a trusted proxy."""

web_inquiries = Table(
    "web_inquiries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("period", String(32), nullable=False),
    Column("manager_id", HUB_ID, nullable=False),
    Column("line", String(400), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("comment", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("created_by", String(128), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_web_inquiries_manager_id_period", "manager_id", "period"),
)

web_inquiry_events = Table(
    "web_inquiry_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("inquiry_id", Integer, ForeignKey("web_inquiries.id"), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("note", Text),
)
