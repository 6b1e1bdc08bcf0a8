"""Writes in the fake Fxiaoke: `data/create` (preset and custom) and `object/describe`.

As the OpenAPI documents create: `data.object_data` carries
`dataObjectApiName` and the fields; `triggerWorkFlow` / `triggerApprovalFlow`
default to true; the answer is `{"errorCode": 0, "dataId": …}`. There is no
idempotency key: two creates make two records. The fake also refuses what a
tenant refuses: an object the operator may not create (15003), a missing
required field or an owner who is not an active employee (32000). Every create
is kept in `written`, with the flags it was sent with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub_fxiaoke.fake import FakeFxiaoke

CREATE_PATHS = ("/cgi/crm/v2/data/create", "/cgi/crm/custom/v2/data/create")
DESCRIBE_PATH = "/cgi/crm/v2/object/describe"
REQUIRED = {"ActiveRecordObj": ("active_record_content",)}


def handles(path: str) -> bool:
    return path in CREATE_PATHS


def create(fake: FakeFxiaoke, path: str, payload: dict[str, Any], flow: str) -> dict[str, Any]:
    """Employees are openUserIds in the corp_access_token flow, CRM ids with oauth."""
    from hub_fxiaoke.fake import FakeError

    data = payload.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object_data"), dict):
        raise FakeError(32000, "data.object_data is required")
    fields = dict(data["object_data"])
    api = fields.pop("dataObjectApiName", None)
    if not api:
        raise FakeError(32000, "dataObjectApiName is required")
    if api.endswith("__c") != path.startswith("/cgi/crm/custom/"):
        raise FakeError(
            32000, f"{api}: use the {'custom' if api.endswith('__c') else 'preset'} interface"
        )
    if api not in fake.objects:
        raise FakeError(32000, f"object {api} does not exist or is not enabled")
    if api in fake.create_forbidden:
        raise FakeError(15003, "the app has no access permission")
    for name in REQUIRED.get(api, ()):
        if not str(fields.get(name) or "").strip():
            raise FakeError(32000, f"{name} is required")
    owner = fields.get("owner")
    if owner is not None:
        if not isinstance(owner, list) or len(owner) != 1:
            raise FakeError(32000, "owner must be a list with one employee id")
        if flow == "legacy":
            crm_ids = {e.open_user_id: e.user_id for e in fake.employees.values()}
            owner = fields["owner"] = [crm_ids.get(str(owner[0]), str(owner[0]))]
        employee = fake.employees.get(str(owner[0]))
        if employee is None or employee.is_stop:
            raise FakeError(32000, f"owner {owner[0]} is not an active employee")
    for key in fields:
        if key.endswith("__c") and key not in fake.custom_fields.get(api, set()):
            raise FakeError(32000, f"field {key} does not exist on {api}")
    rid = fake.add(api, fields)
    fake.written.append(
        {
            "api": api,
            "id": rid,
            "triggerWorkFlow": payload.get("triggerWorkFlow", True),
            "triggerApprovalFlow": payload.get("triggerApprovalFlow", True),
            "record": dict(fake.objects[api][rid]),
        }
    )
    return {"dataId": rid}


def describe(fake: FakeFxiaoke, payload: dict[str, Any]) -> dict[str, Any]:
    from hub_fxiaoke.fake import FakeError

    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    api = payload.get("apiName") or data.get("apiName")
    if not api or api not in fake.objects:
        raise FakeError(32000, f"object {api} does not exist or is not enabled")
    names: set[str] = set()
    for record in fake.objects[api].values():
        names |= set(record)
    names |= fake.custom_fields.get(api, set())
    meta = fake.field_meta.get(api, {})
    fields = {
        n: {
            "api_name": n,
            "type": "text",
            "label": n,
            "is_required": n in REQUIRED.get(api, ()),
            **meta.get(n, {}),
        }
        for n in sorted(names | set(meta))
    }
    return {"data": {"describe": {"api_name": api, "fields": fields}}}
