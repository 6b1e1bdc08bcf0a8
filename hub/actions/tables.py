"""The outbox: one row per action, whatever became of it.

`key` is deterministic (action, rule, subject, period), so planning the same
findings twice finds the same rows. `in_doubt` means an earlier send may have reached
the vendor without its answer being stored: such an action is looked up by its
key before it is sent again.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Index, Integer, String, Table, Text

from hub.store.metadata import HUB_ID, metadata
from hub.store.types import UTCDateTime

STATES = ("planned", "sent", "confirmed", "failed", "skipped", "cancelled")
"""planned: to send; sent: the vendor answered with its
id; confirmed: found in the vendor by its key; failed: refused (`retryable` says if
another apply will try again); skipped: no CRM can take it (`last_error` says why);
cancelled: its finding went away before it was sent, or `hub actions cancel`."""

action_outbox = Table(
    "action_outbox",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("action", String(128), nullable=False),
    Column("rule", String(128), nullable=False),
    Column("period", String(32), nullable=False),
    Column("subject_type", String(32), nullable=False),
    Column("subject_id", HUB_ID, nullable=False),
    Column("subject_ref", String(400), nullable=False),
    Column("connection", String(128)),
    Column("customer_source_id", String(255)),
    Column("owner_source_id", String(255)),
    Column("title", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("priority", String(16), nullable=False),
    Column("triggers", Boolean, nullable=False),
    Column("state", String(16), nullable=False),
    Column("vendor_id", String(255)),
    Column("attempts", Integer, nullable=False),
    Column("in_doubt", Boolean, nullable=False),
    Column("retryable", Boolean, nullable=False),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("attempted_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("confirmed_at", UTCDateTime),
    Index("ix_action_outbox_state_connection", "state", "connection"),
)
