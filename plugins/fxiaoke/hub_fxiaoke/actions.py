"""Follow-up tasks written into Fxiaoke (`hub actions apply`).

`data/create` has no idempotency key and Fxiaoke dedupes nothing by itself, so
each record carries the action's key in a custom field (`key_field`), and the
hub looks keys up with `data/query` before it ever sends an action again. For
the same reason a create is never retried blindly: when its answer is lost
(a timeout, a busy gateway) the key is looked up first, then sent again only
if it is not there.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from hub.actions.contract import ActionOutcome, ActionRequest
from hub.adapters.http import Transient
from hub.errors import AuthError, SourceError
from hub_fxiaoke.client import FxiaokeClient, FxiaokeRequestError
from hub_fxiaoke.settings import FxiaokeSettings

CREATE_TRIES = 3


class FxiaokeActionWriter:
    batch_size = 1
    """`data/create` takes one record a call."""

    def __init__(
        self, client: FxiaokeClient, settings: FxiaokeSettings, log: logging.Logger
    ) -> None:
        self.client = client
        self.settings = settings
        self.actions = settings.actions
        self.log = log

    def _prefix(self) -> str:
        custom = self.actions.object.endswith("__c")
        return "/cgi/crm/custom/v2/data/" if custom else "/cgi/crm/v2/data/"

    def check(self) -> str | None:
        body = self.client.post(
            "/cgi/crm/v2/object/describe",
            {
                "apiName": self.actions.object,
                "includeDetail": False,
                "data": {"apiName": self.actions.object},
            },
        )
        fields = ((body.get("data") or {}).get("describe") or {}).get("fields") or {}
        if self.actions.key_field not in fields:
            return (
                f"Fxiaoke {self.actions.object} has no field {self.actions.key_field!r}: add a "
                "custom single-line text field for the hub's action keys (or set "
                "[connections.NAME.actions] key_field), see docs/actions.md"
            )
        return None

    def find(self, keys: Sequence[str]) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), 100):
            chunk = list(keys[start : start + 100])
            body = self.client.post(
                self._prefix() + "query",
                {
                    "data": {
                        "dataObjectApiName": self.actions.object,
                        "search_query_info": {
                            "limit": 100,
                            "offset": 0,
                            "filters": [
                                {
                                    "field_name": self.actions.key_field,
                                    "operator": "IN",
                                    "field_values": chunk,
                                }
                            ],
                            "fieldProjection": ["_id", self.actions.key_field],
                        },
                    }
                },
            )
            for row in (body.get("data") or {}).get("dataList") or []:
                key = row.get(self.actions.key_field)
                if key in chunk:
                    found[str(key)] = str(row["_id"])
        return found

    def write(self, requests: Sequence[ActionRequest]) -> Sequence[ActionOutcome]:
        return [self._create(r) for r in requests]

    def _create(self, r: ActionRequest) -> ActionOutcome:
        payload = self._payload(r)
        for attempt in range(CREATE_TRIES):
            try:
                body = self.client.post(self._prefix() + "create", payload, retry=False)
            except (Transient, httpx.TransportError) as exc:
                # the answer is lost: look before sending again
                found = self.find([r.key])
                if r.key in found:
                    return ActionOutcome(r.key, "created", vendor_id=found[r.key])
                if attempt == CREATE_TRIES - 1:
                    raise SourceError(
                        f"Fxiaoke create: {exc}; the action is looked up next time"
                    ) from None
                continue
            except FxiaokeRequestError as exc:
                return ActionOutcome(r.key, "refused", reason=str(exc))
            except AuthError as exc:
                return ActionOutcome(r.key, "refused", reason=str(exc))
            vendor_id = body.get("dataId") or self.find([r.key]).get(r.key)
            return ActionOutcome(r.key, "created", vendor_id=vendor_id)
        raise AssertionError("unreachable")

    def _payload(self, r: ActionRequest) -> dict[str, Any]:
        a = self.actions
        customer = self.settings.customers.api_name
        content = f"{r.subject}\n{r.description}\n截止 / due: {r.due_date.isoformat()}"
        record: dict[str, Any] = {
            "dataObjectApiName": a.object,
            **a.fields,
            a.content_field: content,
            a.key_field: r.key,
            "related_object_data": [{"describe_api_name": customer, "id": r.customer_source_id}],
        }
        if a.customer_field:
            record[a.customer_field] = r.customer_source_id
        if r.owner_source_id:
            record["owner"] = [r.owner_source_id]
        return {
            "triggerWorkFlow": r.triggers,
            "triggerApprovalFlow": r.triggers,
            "data": {"object_data": record},
        }
