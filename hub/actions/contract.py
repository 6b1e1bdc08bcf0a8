"""What an adapter implements to write actions back into its source.

The capability is optional: `Adapter.action_writer()` returns None unless the
adapter can write. Neither Zoho nor Fxiaoke offers an idempotency key for
creating tasks, so every written record carries the action's `key` in a field
of its own (a unique custom field, a column of the actions file), and
`find` looks records up by that key: the hub calls it for every action whose
earlier attempt may have reached the vendor before it ever sends it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

Priority = Literal["high", "normal", "low"]


@dataclass(frozen=True)
class ActionRequest:
    """One follow-up task to create in the source."""

    key: str
    """Deterministic key of the action; the written record must carry it."""
    customer_source_id: str
    """The customer's id in this connection."""
    owner_source_id: str | None
    """Who the task is for (the customer's owner in this connection)."""
    subject: str
    description: str
    due_date: dt.date
    priority: Priority = "normal"
    triggers: bool = False
    """Run the vendor's workflows and automations on the new record (off by default:
    a write-back must not start loops)."""


@dataclass(frozen=True)
class ActionOutcome:
    """What the source answered for one request."""

    key: str
    status: Literal["created", "exists", "refused"]
    vendor_id: str | None = None
    reason: str | None = None
    """Why it was refused, in the vendor's words (no personal data)."""
    retryable: bool = False
    """True when sending again later can help (a transient refusal)."""


class ActionWriter(Protocol):
    """Writes follow-up tasks into one connection's source."""

    batch_size: int
    """Requests per `write` call (the vendor's per-call maximum or less)."""

    def check(self) -> str | None:
        """Is the source set up for write-back (the key field exists and is unique)?
        None when it is, else a one-line explanation of what to set up."""

    def find(self, keys: Sequence[str]) -> Mapping[str, str]:
        """Key -> vendor id of the records that already carry one of `keys`."""

    def write(self, requests: Sequence[ActionRequest]) -> Sequence[ActionOutcome]:
        """Create the records; one outcome per request, in any order.

        Raise `hub.errors.QuotaExhausted` when the vendor's quota is spent (the
        hub stops the connection cleanly) and `hub.errors.SourceError` when the
        answer is unknown (a timeout, a 5xx): the hub then treats every request of
        the call as possibly written and looks it up before sending it again."""
