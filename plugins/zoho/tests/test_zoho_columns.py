"""The column path (values -> one Arrow table, checked by `conform`) against the row
path (a pydantic model per record): the same tables, the same records refused."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hub_zoho.describe import ModuleFacts
from hub_zoho.fake import FakeOrg
from hub_zoho.mapping import Mapper, Rows
from hub_zoho.references import CustomerResolver
from hub_zoho.settings import ZohoSettings

from hub.columns import conform, to_table
from hub.sync.rejects import masked

SHANGHAI = ZoneInfo("Asia/Shanghai")
MODULES = ["Accounts", "Contacts", "Calls", "Tasks", "Events", "Notes", "Deals", "Sales_Targets"]
PHONE = "+1 415 555 0199"


def mapper(**settings: Any) -> Mapper:
    config = ZohoSettings.model_validate(
        {
            "client_id": "1000.X",
            "client_secret": "s3cret",
            "refresh_token": "r3fresh",
            "goals": {"module": "Sales_Targets", "currency": "Currency"},
            **settings,
        }
    )
    m = Mapper("zoho", SHANGHAI, config, CustomerResolver(config.customers))
    personal = ModuleFacts(personal={"Work_Line": "phone"})  # a custom phone field
    m.know({module: personal for module in MODULES})
    return m


def org_pages() -> dict[str, list[dict[str, Any]]]:
    org = FakeOrg()
    org.populate(
        {"Accounts": 40, "Contacts": 30, "Calls": 40, "Tasks": 30, "Events": 30, "Notes": 20}
        | {"Deals": 40, "Sales_Targets": 20},
        seed=3,
    )
    out = {m: [dict(r) for r in org.modules[m].records.values()] for m in org.modules}
    out["Users"] = [dict(u) for u in org.users.values()]
    return out


DIRT: list[tuple[str, dict[str, Any]]] = [
    ("Account_Name", {"x": 1}),  # a dict without a name
    ("Account_Name", "   "),
    ("Account_Name", "A" * 300),
    ("Phone", ["+1 1", {"name": "x"}]),
    ("Created_Time", "2026-02-31T10:00:00+08:00"),
    ("Created_Time", "2026/3/5 10:00"),
    ("Created_Time", "2026-05-14"),
    ("Modified_Time", ""),
    ("Call_Duration_in_seconds", -5),
    ("Call_Duration_in_seconds", 2**40),
    ("Call_Duration", "12:61"),
    ("Call_Start_Time", None),
    ("Amount", Decimal("1.23456")),
    ("Amount", Decimal("1.5E+14")),
    ("Amount", Decimal("12.50000")),
    ("Amount", "¥1,234.50"),
    ("Amount", True),
    ("Currency", "usd"),
    ("Currency", "EURO"),
    ("Stage", "Closed Won"),
    ("Closing_Date", "not a date"),
    ("Target", Decimal("0.00001")),
    ("Target", None),
    ("Period", "2026-Q5"),
    ("Email_Opt_Out", "maybe"),
    ("Last_Name", None),
    ("Full_Name", None),
    ("id", ""),
    ("id", 4150868000000224005),
    ("Tag", [{"name": " VIP "}, {"name": ""}]),
    ("$event_cancelled", "yes"),
    ("Check_In_Time", "2026-05-14T09:00:00Z"),
    ("Work_Line", PHONE),
    ("full_name", ""),
    ("status", "Inactive"),
]


def dirty(pages: dict[str, list[dict[str, Any]]], seed: int) -> dict[str, list[dict[str, Any]]]:
    """The org's records, many with one or two fields spoilt."""
    rng = random.Random(seed)
    out = {}
    for module, records in pages.items():
        spoilt = []
        for raw in records:
            raw = dict(raw)
            for _ in range(rng.choice([0, 1, 1, 2])):
                name, value = rng.choice(DIRT)
                if module != "Users" or name != "Work_Line":  # Users have fixed facts
                    raw[name] = value
            if module != "Users":
                raw.setdefault("Work_Line", PHONE)
            spoilt.append(raw)
        out[module] = spoilt
    return out


def row_path(m: Mapper, module: str, records: list[dict[str, Any]]) -> tuple[pa.Table, Any]:
    mapped = m.users(records) if module == "Users" else m.page(module, records)
    return to_table(m.entity_of(module), mapped.records), mapped


def column_path(m: Mapper, module: str, records: list[dict[str, Any]]) -> tuple[pa.Table, Any]:
    entity = m.entity_of(module)
    rows = m.user_rows(records) if module == "Users" else m.rows(module, records)
    table, rejects = m.columns(rows)
    if table is None:
        return to_table(entity, []), (rows, rejects)
    again, bad = conform(entity, table, "zoho")  # as the engine checks it
    assert not bad
    return again, (rows, rejects)


def sort(table: pa.Table) -> pa.Table:
    return table.take(pc.sort_indices(table, [("source_id", "ascending")]))


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_both_paths_store_the_same_and_refuse_the_same(seed: int | None) -> None:
    pages = org_pages()
    if seed is not None:
        pages = dirty(pages, seed)
    m = mapper()
    for module, records in pages.items():
        m.resolver.learn(module, records)
    refused, by_columns = 0, 0
    for module, records in pages.items():
        rows_table, mapped = row_path(m, module, records)
        cols_table, (rows, rejects) = column_path(m, module, records)
        assert sort(cols_table).equals(sort(rows_table)), module
        assert sorted(t.source_id for t in rows.deletes) == sorted(
            t.source_id for t in mapped.deletes
        )
        assert sorted(str(r.source_id) for r in rejects) == sorted(
            str(r.source_id) for r in mapped.rejects
        ), module
        for reject in rejects:
            rid = reject.source_id or "(no id)"
            assert reject.reason.startswith(f"{module} {rid}: "), reject.reason
            assert reject.location == (
                f"{module}/{reject.source_id}" if reject.source_id else module
            )
            stored = masked(reject)  # as the engine stores it
            assert PHONE not in repr(stored.raw), module  # personal fields masked, custom too
            assert PHONE not in stored.reason
        refused += len(rejects)
        by_columns += sum("field '" in r.reason for r in rejects)
    if seed is not None:
        assert refused > 10 and by_columns > 0  # the dirt was found, some only column-wise


def test_refused_by_the_columns_check_names_module_record_and_field() -> None:
    m = mapper()
    deal = {
        "id": "71",
        "Deal_Name": "Big",
        "Stage": "Closed Won",
        "Amount": Decimal("10.12345"),
        "Currency": "USD",
        "Closing_Date": "2026-09-30",
        "Created_Time": "2026-09-01T10:00:00+08:00",
        "Modified_Time": "2026-09-01T10:00:00+08:00",
    }
    rows = m.rows("Deals", [deal, {**deal, "id": "72", "Amount": 5, "Currency": "usd"}])
    table, rejects = m.columns(rows)
    assert table is not None and table.num_rows == 0
    assert sorted(r.reason for r in rejects) == [
        "Deals 71: field 'amount' has more than 4 decimals",
        "Deals 72: field 'currency' does not match ^[A-Z]{3}$",
    ]
    assert all(r.raw.get("Deal_Name") == "Big" for r in rejects)  # the Zoho record, not a row


def test_an_empty_batch_is_no_table() -> None:
    table, rejects = mapper().columns(Rows("activities"))
    assert table is None and rejects == []
