"""Follow-up tasks written into Zoho CRM (`hub actions apply`).

Zoho's upsert does not cover Tasks, and inserts take no idempotency key, so
each Task carries the action's key in a custom field marked "Do not allow
duplicate values" (`[connections.NAME.actions] key_field`). That gives two
guards: the hub looks a key up (Search API) before it sends an action again,
and should a search miss a record not yet indexed, Zoho itself refuses the
second insert with DUPLICATE_DATA, which counts as "exists".
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from hub.actions.contract import ActionOutcome, ActionRequest
from hub_zoho.client import API, ZohoClient
from hub_zoho.settings import ZohoSettings

RETRYABLE = {"INTERNAL_ERROR", "TOO_MANY_REQUESTS", "LOCKED_RECORD"}
"""Per-record codes worth another try later; the rest (a missing field, an
inactive owner, no permission) need someone to fix the data or the setup."""


class ZohoActionWriter:
    batch_size = 10
    """Zoho takes 100 records a call, but more than 10 counts against the heavier
    sub-concurrency limit."""

    def __init__(self, client: ZohoClient, settings: ZohoSettings, log: logging.Logger) -> None:
        self.client = client
        self.settings = settings
        self.actions = settings.actions
        self.log = log

    @property
    def _module(self) -> str:
        return self.actions.module

    def check(self) -> str | None:
        answer = self.client.get(f"{API}/settings/fields", {"module": self._module})
        names = {f.get("api_name") for f in (answer.body or {}).get("fields", [])}
        if self.actions.key_field not in names:
            return (
                f"Zoho {self._module} has no field {self.actions.key_field!r}: add a single-line "
                "custom field with 'Do not allow duplicate values' (or set "
                "[connections.NAME.actions] key_field), see docs/actions.md"
            )
        return None

    def find(self, keys: Sequence[str]) -> Mapping[str, str]:
        field = self.actions.key_field
        found: dict[str, str] = {}
        for start in range(0, len(keys), 10):  # the Search API takes 10 criteria
            chunk = keys[start : start + 10]
            criteria = "(" + "or".join(f"({field}:equals:{k})" for k in chunk) + ")"
            answer = self.client.get(
                f"{API}/{self._module}/search", {"criteria": criteria, "fields": f"id,{field}"}
            )
            for record in (answer.body or {}).get("data", []):
                if record.get(field) in chunk:
                    found[str(record[field])] = str(record["id"])
        return found

    def write(self, requests: Sequence[ActionRequest]) -> Sequence[ActionOutcome]:
        triggers = bool(requests) and requests[0].triggers
        body = {
            "data": [self._task(r) for r in requests],
            "trigger": list(self.actions.triggers) if triggers else [],
        }
        answer = self.client.post(f"{API}/{self._module}", body)
        items = (answer.body or {}).get("data", [])
        outcomes = []
        for request, item in zip(requests, items, strict=False):
            outcomes.append(self._outcome(request, item))
        return outcomes

    def _task(self, r: ActionRequest) -> dict[str, Any]:
        task: dict[str, Any] = {
            "Subject": r.subject[:255],
            "Description": r.description,
            "Due_Date": r.due_date.isoformat(),
            "Status": self.actions.status,
            "Priority": self.actions.priorities.get(r.priority, r.priority),
            self.actions.key_field: r.key,
        }
        if self.settings.customers == "Contacts":
            task["Who_Id"] = {"id": r.customer_source_id}
        else:
            task["What_Id"] = {"id": r.customer_source_id}
            task["$se_module"] = "Accounts"
        if r.owner_source_id:
            task["Owner"] = {"id": r.owner_source_id}
        return task

    def _outcome(self, request: ActionRequest, item: Mapping[str, Any]) -> ActionOutcome:
        details = item.get("details") or {}
        if item.get("status") == "success":
            return ActionOutcome(request.key, "created", vendor_id=str(details.get("id")))
        code = str(item.get("code") or "")
        field = details.get("api_name")
        if code == "DUPLICATE_DATA" and field == self.actions.key_field:
            duplicate = details.get("duplicate_record") or {}
            vendor_id = duplicate.get("id") or self.find([request.key]).get(request.key)
            return ActionOutcome(request.key, "exists", vendor_id=vendor_id)
        message = str(item.get("message") or "refused")
        reason = f"Zoho {code or 'error'}: {message}" + (f" ({field})" if field else "")
        return ActionOutcome(request.key, "refused", reason=reason, retryable=code in RETRYABLE)
