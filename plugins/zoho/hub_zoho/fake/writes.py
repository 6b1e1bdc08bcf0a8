"""Writes in the fake Zoho CRM: inserting Tasks, and searching them by a field.

As the records API documents it: `POST /crm/v8/{module}` takes up to 100
records and answers per record (201; a failed record carries its own code:
MANDATORY_NOT_FOUND, INVALID_DATA, DUPLICATE_DATA); `trigger` chooses the
automations (`[]`: none); `What_Id` must come with `$se_module`; the owner must
be an active user; a field the org marked unique refuses a second record with
the same value. `GET /crm/v8/{module}/search?criteria=((F:equals:V)or(...))`
takes at most 10 criteria and answers 204 when nothing matches (always, while
`search_lags` is set: new records are not indexed at once). Every insert is
also kept in `written`, so tests can see what arrived and with which trigger.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from hub_zoho.fake.api import Access, FakeZoho

WRITABLE = {"Tasks", "Calls", "Events"}
MAX_RECORDS = 100
MAX_CRITERIA = 10
_CRITERION = re.compile(r"\(([A-Za-z0-9_$]+):equals:([^()]*)\)")


def handles(request: httpx.Request, parts: list[str]) -> bool:
    """POST /crm/v8/{module}, or GET /crm/v8/{module}/search."""
    if request.method == "POST" and len(parts) == 3:
        return True
    return request.method == "GET" and len(parts) == 4 and parts[3] == "search"


def handle(
    fake: FakeZoho, request: httpx.Request, parts: list[str], access: Access
) -> httpx.Response:
    module = parts[2]
    if request.method == "POST":
        return _insert(fake, module, request, access)
    return _search(fake, module, dict(request.url.params), access)


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, json=body)


def _error(status: int, code: str, message: str, details: Any = None) -> httpx.Response:
    return _json(
        status, {"code": code, "details": details or {}, "message": message, "status": "error"}
    )


def _can_write(fake: FakeZoho, access: Access, module: str) -> bool:
    name = module.lower()
    return fake._allowed(  # the fake's own scope check
        access,
        "ZohoCRM.modules.ALL",
        f"ZohoCRM.modules.{name}.ALL",
        f"ZohoCRM.modules.{name}.CREATE",
        f"ZohoCRM.modules.{name}.WRITE",
    )


def _insert(fake: FakeZoho, module: str, request: httpx.Request, access: Access) -> httpx.Response:
    if module not in fake.org.modules:
        return _error(400, "INVALID_MODULE", "the module name given seems to be invalid")
    if module not in WRITABLE:
        return _error(400, "NOT_SUPPORTED", "writing this module is not supported by the fake")
    if not _can_write(fake, access, module):
        return _error(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
    try:
        body = json.loads(request.content or b"{}")
    except ValueError:
        return _error(400, "INVALID_DATA", "the body is not valid JSON")
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list) or not data:
        return _error(400, "INVALID_DATA", "data is required", {"api_name": "data"})
    if len(data) > MAX_RECORDS:
        return _error(400, "LIMIT_EXCEEDED", "Records limit exceeded", {"limit": MAX_RECORDS})
    trigger = body.get("trigger")
    answers = [_insert_one(fake, module, record, i, trigger) for i, record in enumerate(data)]
    fake.refused.extend(a["code"] for a in answers if a["status"] != "success")
    # 201 for one record, 202 for several, even when some fail (each item says);
    # 400 when every record failed
    if not any(a["status"] == "success" for a in answers):
        status = 400
    else:
        status = 201 if len(answers) == 1 else 202
    return _json(status, {"data": answers})


def _insert_one(
    fake: FakeZoho, module: str, record: Any, index: int, trigger: Any
) -> dict[str, Any]:
    org = fake.org
    path = f"$.data[{index}]"

    def refuse(code: str, message: str, api_name: str, **more: Any) -> dict[str, Any]:
        details = {"api_name": api_name, "json_path": f"{path}.{api_name}", **more}
        return {"code": code, "details": details, "message": message, "status": "error"}

    if not isinstance(record, dict):
        return refuse("INVALID_DATA", "invalid data", "data")
    known = org.modules[module].field_names | {"$se_module"}
    for name in record:
        if name not in known:
            return refuse("INVALID_DATA", "invalid field", name)
    mandatory = {"Tasks": "Subject", "Calls": "Subject", "Events": "Event_Title"}[module]
    if not str(record.get(mandatory) or "").strip():
        return refuse("MANDATORY_NOT_FOUND", "required field not found", mandatory)
    owner = record.get("Owner")
    owner_id = owner.get("id") if isinstance(owner, dict) else None
    if owner is not None:
        user = org.users.get(str(owner_id))
        if user is None or user.get("status") != "active":
            return refuse("INVALID_DATA", "the owner is not an active user", "Owner")
    what = record.get("What_Id")
    values = dict(record)
    if what is not None:
        parent_module = record.get("$se_module")
        what_id = what.get("id") if isinstance(what, dict) else what
        if not parent_module:
            return refuse(
                "MANDATORY_NOT_FOUND", "$se_module is required with What_Id", "$se_module"
            )
        parent = org.modules.get(str(parent_module))
        if parent is None or str(what_id) not in parent.records:
            return refuse("INVALID_DATA", "invalid data", "What_Id")
        values["What_Id"] = {"id": str(what_id), "name": _display(parent.records[str(what_id)])}
    if "Due_Date" in record:
        try:
            dt.date.fromisoformat(str(record["Due_Date"]))
        except ValueError:
            return refuse("INVALID_DATA", "invalid data", "Due_Date", expected_data_type="date")
    for field in sorted(getattr(org, "unique_fields", {}).get(module, ())):
        value = record.get(field)
        if value in (None, ""):
            continue
        for other in org.modules[module].records.values():
            if other.get(field) == value:
                return refuse(
                    "DUPLICATE_DATA",
                    "duplicate data",
                    field,
                    duplicate_record={"id": other["id"], "module": {"api_name": module}},
                )
    values.pop("Owner", None)
    rid = org.create(module, owner=str(owner_id) if owner_id else None, **values)
    created = org.get(module, rid)
    fake.written.append({"module": module, "id": rid, "trigger": trigger, "record": dict(created)})
    stamp = fake._out(created["Created_Time"])
    who = created["Created_By"]
    return {
        "code": "SUCCESS",
        "duplicate_field": None,
        "action": "insert",
        "details": {
            "Modified_Time": stamp,
            "Modified_By": {"name": who["name"], "id": who["id"]},
            "Created_Time": stamp,
            "id": rid,
            "Created_By": {"name": who["name"], "id": who["id"]},
            "$approval_state": "approved",
        },
        "message": "record added",
        "status": "success",
    }


def _display(record: dict[str, Any]) -> str:
    for name in ("Account_Name", "Full_Name", "Deal_Name", "Subject"):
        if record.get(name):
            return str(record[name])
    return str(record["id"])


def _search(fake: FakeZoho, module: str, params: dict[str, str], access: Access) -> httpx.Response:
    if module not in fake.org.modules:
        return _error(400, "INVALID_MODULE", "the module name given seems to be invalid")
    if not fake._module_scope(access, module):
        return _error(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
    criteria = params.get("criteria", "")
    found = _CRITERION.findall(criteria)
    if not found:
        return _error(400, "INVALID_QUERY", "invalid query formed", {"param": "criteria"})
    if len(found) > MAX_CRITERIA:
        return _error(400, "LIMIT_EXCEEDED", "more than 10 criteria", {"limit": MAX_CRITERIA})
    records = fake.org.modules[module].records.values()
    hits = [r for r in records if any(str(r.get(f)) == v for f, v in found)]
    if getattr(fake, "search_lags", False):
        hits = []  # "freshly created records may not be indexed yet"
    if not hits:
        return httpx.Response(204)
    fields = [f for f in params.get("fields", "").split(",") if f] or ["id"]
    data = [{f: fake._out(r.get(f)) for f in {"id", *fields}} for r in hits[:200]]
    info = {"per_page": 200, "count": len(data), "page": 1, "more_records": len(hits) > 200}
    return _json(200, {"data": data, "info": info})
