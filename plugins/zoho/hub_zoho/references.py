"""Which customer an activity is about.

Zoho links an activity to a record of any module: `What_Id` with
`$se_module` (an Account, a Deal, a Lead…), `Who_Id` (a Contact), or for
notes `Parent_Id`. The hub's customer is an Account (B2B) or a Contact (B2C),
so a call logged against a deal or a contact has to be followed to that
deal's or contact's account. Deals read in the same sync teach the resolver
their accounts for free; other parents are fetched by id, 100 a call, and
remembered (a bounded cache, so memory does not grow with the org).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from hub_zoho.client import ZohoClient
from hub_zoho.paging import MAX_IDS, records_by_id


def lookup_id(value: Any) -> str | None:
    """`{"name": "...", "id": "..."}` -> the id."""
    if isinstance(value, dict) and value.get("id"):
        return str(value["id"])
    return None


class CustomerResolver:
    def __init__(self, customers: str, capacity: int = 200_000) -> None:
        self.customers = customers
        b2b = customers == "Accounts"
        self.parent_field = (
            {"Deals": "Account_Name", "Contacts": "Account_Name"}
            if b2b
            else {"Deals": "Contact_Name"}
        )
        """Module -> its lookup that names the customer."""
        self._b2b = b2b
        self._known: OrderedDict[tuple[str, str], str | None] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    # -- what links a record to others -----------------------------------------------------

    def links(self, module: str, record: dict[str, Any]) -> list[tuple[str, str]]:
        """(module, id) of the records an activity points at, best first."""
        if module == "Notes":
            parent = record.get("Parent_Id")
            parent_module = record.get("$se_module")
            if isinstance(parent, dict) and isinstance(parent.get("module"), dict):
                parent_module = parent["module"].get("api_name") or parent_module
            pid = lookup_id(parent)
            return [(str(parent_module), pid)] if parent_module and pid else []
        what_module, what = record.get("$se_module"), lookup_id(record.get("What_Id"))
        who = lookup_id(record.get("Who_Id"))
        what_link = [(str(what_module), what)] if what and what_module else []
        who_link = [("Contacts", who)] if who else []
        # B2B: the account or deal the activity is filed under beats the person
        # spoken to; B2C: the person is the customer.
        return what_link + who_link if self._b2b else who_link + what_link

    def customer_of(self, module: str, record: dict[str, Any]) -> str | None:
        if module == "Deals":
            return lookup_id(record.get(self.parent_field["Deals"]))
        for linked_module, linked_id in self.links(module, record):
            if linked_module == self.customers:
                return linked_id
            if linked_module in self.parent_field:
                with self._lock:
                    customer = self._known.get((linked_module, linked_id))
                if customer:
                    return customer
        return None

    # -- learning parents ----------------------------------------------------------------

    def learn(self, module: str, records: Iterable[dict[str, Any]]) -> None:
        """Remember the customers of records read anyway (a page of Deals)."""
        field = self.parent_field.get(module)
        if field is None:
            return
        with self._lock:
            for record in records:
                if record.get("id"):
                    self._remember((module, str(record["id"])), lookup_id(record.get(field)))

    def prefetch(self, client: ZohoClient, module: str, records: Sequence[dict[str, Any]]) -> None:
        """Fetch the parents this page's activities need and the cache lacks.

        Links are followed best first: a contact is looked up only for
        activities whose deal (or lead) did not name a customer."""
        if module == "Deals":
            return
        link_lists = [self.links(module, record) for record in records]
        while True:
            with self._lock:
                wanted = {key for links in link_lists if (key := self._next_unknown(links))}
            if not wanted:
                return
            for parent_module in {m for m, _ in wanted}:
                field = self.parent_field[parent_module]
                ids = sorted(i for m, i in wanted if m == parent_module)
                for start in range(0, len(ids), MAX_IDS):
                    chunk = ids[start : start + MAX_IDS]
                    found = {
                        str(r["id"]): lookup_id(r.get(field))
                        for r in records_by_id(client, parent_module, chunk, [field])
                        if r.get("id")
                    }
                    with self._lock:
                        for pid in chunk:  # deleted parents are remembered as "no customer"
                            self._remember((parent_module, pid), found.get(pid))

    def _next_unknown(self, links: list[tuple[str, str]]) -> tuple[str, str] | None:
        """The first link still to be looked up; None when the known ones settle it."""
        for linked_module, linked_id in links:
            if linked_module == self.customers:
                return None
            if linked_module in self.parent_field:
                key = (linked_module, linked_id)
                if key not in self._known:
                    return key
                if self._known[key]:
                    return None
        return None

    def _remember(self, key: tuple[str, str], customer: str | None) -> None:
        self._known[key] = customer
        self._known.move_to_end(key)
        if len(self._known) > self._capacity:
            self._known.popitem(last=False)
