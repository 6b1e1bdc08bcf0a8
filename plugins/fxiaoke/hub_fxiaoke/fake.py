"""A stateful fake of the Fxiaoke OpenAPI, for tests, demos and benchmarks.

One request handler, `FakeFxiaoke.handle(httpx.Request) -> httpx.Response`:
tests mount it with respx, and `hub_fxiaoke.server` serves the same object on
loopback. It keeps what the reference documents (and says where it guesses):

- both token flows: `/cgi/corpAccessToken/get/V2` (credentials in the body
  afterwards) and `/oauth2.0/token` (Bearer + x-fs-ea + x-fs-userid); tokens
  live 7200 s, the same token comes back for its first 6600 s, the token
  endpoint allows 10 calls a minute and no concurrent calls; wrong appSecret
  → 10006 (as probed live), wrong permanentCode → 20015, unknown appId →
  20006, no credentials → 20017, bad or expired token → 20016;
- HTTP 200 with an errorCode for every outcome, a `traceId` on every answer;
- queries: `limit` 1..100, `offset` a multiple of `limit` and ≤ 10000
  (else 10013 "offset out of range 10000"), filters (EQ N GT GTE LT LTE LIKE
  NLIKE IS ISN IN NIN BETWEEN NBETWEEN STARTWITH ENDWITH CONTAINS HASANYOF
  NHASANYOF; `NE` and friends are refused), multi-field `orders`,
  `fieldProjection`, `find_explicit_total_num`, custom objects only on the
  custom endpoint; `/cgi/crm/v2/object/list` names every object;
- 100 calls per 20 s per interface (30004; a tenant counted tighter sets
  `calls_per_20s` or `window_seconds`), a daily quota that resets at
  00:00 Asia/Shanghai (30002), a tenant without quota (30003), an app the
  enterprise has not authorised (20022);
- invalidated records (作废: `life_status` invalid, `is_deleted` true) are
  hidden from queries unless a filter names `is_deleted` or `life_status`;
- the tenant's clock may run apart from the hub's (`skew_ms`);
- employee ids as the auth flow sees them: FSUID_… with corp_access_token,
  numeric CRM ids with oauth; PersonnelObj readable only when the tenant
  allows it (otherwise it answers no rows, as the FAQ describes).

Tests change the tenant through methods (`add`, `update`, `invalidate`,
`delete`, `update_employee`) and inject trouble (`fail`, `expire_tokens`,
`at_call`, `daily_quota`).
"""

from __future__ import annotations

import bisect
import datetime as dt
import json
import random
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from hub_fxiaoke import fake_writes
from hub_fxiaoke.clock import Clock, SystemClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN_LIFETIME = 7200
TOKEN_REISSUE_AFTER = 6600
OFFSET_WALL = 10000
MAX_LIMIT = 100
MONTH_NAMES = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
EMPLOYEE_FIELDS = ("owner", "created_by", "last_modified_by", "leader")
CUSTOM_PREFIX = "/cgi/crm/custom/v2/data/"
PRESET_PREFIX = "/cgi/crm/v2/data/"
OPERATORS = frozenset(
    [
        "EQ",
        "N",
        "GT",
        "GTE",
        "LT",
        "LTE",
        "LIKE",
        "NLIKE",
        "IS",
        "ISN",
        "IN",
        "NIN",
        "BETWEEN",
        "NBETWEEN",
        "STARTWITH",
        "ENDWITH",
        "CONTAINS",
        "HASANYOF",
        "NHASANYOF",
    ]
)

DEMO_APP_ID = "FSAID_131c0de"
DEMO_APP_SECRET = "4f1d2c8b9a7e6d5c4b3a29180f7e6d5c"
DEMO_PERMANENT_CODE = "9F3A51C0D2E84B7FA6C19E0B2D4F8A31"
DEMO_CORP_ID = "FSCID_8A1F0C2E9B3D4F5A6C7E8D9F0A1B2C3D"
DEMO_EA = "fktest1"


class FakeError(Exception):
    def __init__(self, code: int, message: str, description: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.description = description or message


@dataclass
class Employee:
    user_id: str
    """The CRM employee id, e.g. "1000" (oauth flow, PersonnelObj.user_id)."""
    open_user_id: str
    """The openUserId, FSUID_… (corp_access_token flow)."""
    name: str
    mobile: str
    email: str
    department_id: int
    leader_id: str | None = None
    is_stop: bool = False
    employee_number: str = ""
    position: str = ""
    hire_date: str = ""
    create_time: int = 0


@dataclass
class _Token:
    value: str
    flow: str
    issued: float
    expires: float


@dataclass
class _Fault:
    code: int
    times: int
    after_calls: int
    path: str | None


@dataclass
class _Auth:
    flow: str
    employee: Employee


@dataclass
class Counters:
    business_calls: int = 0
    token_calls: int = 0
    answered: dict[int, int] = field(default_factory=dict)
    """errorCode → how many answers carried it."""
    queries: dict[str, int] = field(default_factory=dict)
    """apiName → queries answered successfully."""
    trace_ids: list[str] = field(default_factory=list)
    missing_trace_ids: int = 0
    recent: deque[httpx.Request] = field(default_factory=lambda: deque(maxlen=50))
    """The last requests, for tests that look at headers and bodies."""


class FakeFxiaoke:
    """One Fxiaoke tenant with one self-built app."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        app_id: str = DEMO_APP_ID,
        app_secret: str = DEMO_APP_SECRET,
        permanent_code: str = DEMO_PERMANENT_CODE,
        corp_id: str = DEMO_CORP_ID,
        ea: str = DEMO_EA,
        latency: float = 0.0,
        calls_per_20s: int = 100,
        window_seconds: float = 20.0,
        daily_quota: int | None = None,
        list_invalid: bool = False,
    ) -> None:
        self.clock = clock or SystemClock()
        self.app_id, self.app_secret, self.permanent_code = app_id, app_secret, permanent_code
        self.corp_id, self.ea = corp_id, ea
        self.latency = latency
        self.calls_per_20s = calls_per_20s
        self.window_seconds = window_seconds
        """The window `calls_per_20s` are counted in (documented: 20 s)."""
        self.daily_quota = daily_quota
        self.quota_bought = True
        self.app_authorised = True
        self.personnel_readable = True
        self.employees_hidden = False
        self.field_meta: dict[str, dict[str, dict[str, Any]]] = {}
        """apiName → field → what `describe` says beyond "text" (type, label,
        options); employee-typed fields carry ids in the auth flow's form."""
        """The app's visible range excludes everyone: /cgi/user/list answers no one."""
        self.list_invalid = list_invalid
        """Whether invalidated records come back from queries that do not name
        `is_deleted` or `life_status` in a filter (they do not, by default)."""
        self.skew_ms = 0
        """How far this tenant's clock is ahead of the hub's (negative: behind).
        Every time the tenant stamps (create_time, last_modified_time) is on it."""
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.custom_fields: dict[str, set[str]] = {}
        """Custom fields (`…__c`) created on an object, e.g. the actions' key field."""
        self.create_forbidden: set[str] = set()
        """Objects the operator may not create records of."""
        self.written: list[dict[str, Any]] = []
        """Every record created through the API, with its trigger flags."""
        self.employees: dict[str, Employee] = {}
        self.departments: dict[int, dict[str, Any]] = {}
        self.counters = Counters()
        self._order: dict[str, list[str]] = {}
        self._dirty: set[str] = set()
        self._tokens: dict[str, _Token] = {}
        self._issued: list[_Token] = []
        self._token_times: deque[float] = deque()
        self._token_in_flight = 0
        self._windows: dict[str, list[float]] = {}
        self._daily: dict[dt.date, int] = {}
        self._faults: list[_Fault] = []
        self._scheduled: list[tuple[int, Callable[[], None]]] = []
        self._seq = 0
        self._lock = threading.RLock()

    # -- the handler -----------------------------------------------------------------

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return self.handle(request)

    def handle(self, request: httpx.Request) -> httpx.Response:
        # Calls count against the rate limit when they arrive, as at a gateway,
        # not when this fake gets round to them (it answers one at a time).
        arrived = self.clock.monotonic()
        if self.latency:
            self.clock.sleep(self.latency)
        path = request.url.path
        if path == "/_fake/stats":  # not Fxiaoke: what benchmarks read back
            return httpx.Response(200, json=self.stats())
        trace = request.url.params.get("thirdTraceId")
        token_call = path in ("/cgi/corpAccessToken/get/V2", "/oauth2.0/token")
        if token_call:
            with self._lock:
                self._token_in_flight += 1
            try:
                body = self._answer(request, path, trace, token_call, arrived)
            finally:
                with self._lock:
                    self._token_in_flight -= 1
        else:
            body = self._answer(request, path, trace, token_call, arrived)
        return httpx.Response(200, json=body)

    def _answer(
        self,
        request: httpx.Request,
        path: str,
        trace: str | None,
        token_call: bool,
        arrived: float,
    ) -> dict[str, Any]:
        with self._lock:
            self.counters.recent.append(request)
            if trace:
                self.counters.trace_ids.append(trace)
            else:
                self.counters.missing_trace_ids += 1
            user = "-1000"
            try:
                if request.method != "POST":
                    raise FakeError(-2, "only POST is supported")
                try:
                    payload = json.loads(request.content or b"{}")
                except ValueError:
                    raise FakeError(12004, "request body is not JSON") from None
                if not isinstance(payload, dict):
                    raise FakeError(12004, "request body is not a JSON object")
                if token_call:
                    self.counters.token_calls += 1
                    body = self._token(path, payload)
                else:
                    auth = self._business_preamble(request, path, payload, arrived)
                    user = auth.employee.user_id
                    body = self._route(path, payload, auth)
                body = {"errorCode": 0, "errorMessage": "OK", "errorDescription": "success", **body}
            except FakeError as exc:
                body = {
                    "errorCode": exc.code,
                    "errorMessage": exc.message,
                    "errorDescription": exc.description,
                }
                if token_call:
                    body.update(error="invalid_request", error_description=exc.message)
            self.counters.answered[body["errorCode"]] = (
                self.counters.answered.get(body["errorCode"], 0) + 1
            )
            body["traceId"] = f"E-O.{self.ea}.{user}-{uuid.uuid4().hex[:16]}"
            return body

    # -- tokens ------------------------------------------------------------------------

    def _token(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        now = self.clock.monotonic()
        if self._token_in_flight > 1:
            raise FakeError(-1, "system busy: concurrent token requests")
        while self._token_times and self._token_times[0] <= now - 60:
            self._token_times.popleft()
        if len(self._token_times) >= 10:
            raise FakeError(30004, "token endpoint: more than 10 calls per minute")
        self._token_times.append(now)
        oauth = path == "/oauth2.0/token"
        if not payload.get("appId"):
            raise FakeError(10001, "the parameter appId is missing")
        if payload.get("appId") != self.app_id:
            raise FakeError(20006, "appId or appSecret is wrong")
        if payload.get("appSecret") != self.app_secret:
            raise FakeError(10006, "the parameter appSecret is missing or illegal")
        if not payload.get("permanentCode"):
            raise FakeError(10012, "the parameter permanentCode is missing")
        if payload.get("permanentCode") != self.permanent_code:
            raise FakeError(20015, "permanent code is wrong")
        if oauth and payload.get("grantType") != "app_secret":
            raise FakeError(
                32000, "grantType must be app_secret, authorization_code or refresh_token"
            )
        flow = "oauth" if oauth else "legacy"
        token = self._tokens.get(flow)
        if token is None or now - token.issued >= TOKEN_REISSUE_AFTER or token.expires <= now:
            token = _Token(uuid.uuid4().hex.upper(), flow, now, now + TOKEN_LIFETIME)
            self._tokens[flow] = token
            self._issued.append(token)
        expires_in = int(token.expires - now)
        if oauth:
            return {
                "accessToken": token.value,
                "expiresIn": expires_in,
                "ea": self.ea,
                "appId": self.app_id,
                "openUserId": self.corp_id,
            }
        return {"corpAccessToken": token.value, "corpId": self.corp_id, "expiresIn": expires_in}

    def expire_tokens(self) -> None:
        """Every token issued so far stops working now (→ 20016)."""
        with self._lock:
            self._issued.clear()
            self._tokens.clear()

    def _check_token(self, value: str, flow: str) -> None:
        now = self.clock.monotonic()
        for token in self._issued:
            if token.value == value and token.flow == flow and token.expires > now:
                return
        raise FakeError(20016, "the cropId,cropAccessToken or authorization is error")

    # -- business calls ------------------------------------------------------------------

    def _business_preamble(
        self, request: httpx.Request, path: str, payload: dict[str, Any], arrived: float
    ) -> _Auth:
        self.counters.business_calls += 1
        for at, action in list(self._scheduled):
            if self.counters.business_calls >= at:
                self._scheduled.remove((at, action))
                action()
        for fault in self._faults:
            if (
                fault.times > 0
                and self.counters.business_calls > fault.after_calls
                and (fault.path is None or fault.path in path)
            ):
                fault.times -= 1
                raise FakeError(fault.code, f"injected errorCode {fault.code}")
        auth = self._authenticate(request, payload)
        if not self.app_authorised:
            raise FakeError(20022, "the enterprise has not authorized the app")
        if not self.quota_bought:
            raise FakeError(30003, "no OpenAPI quota purchased")
        today = dt.datetime.fromtimestamp(self.clock.time(), SHANGHAI).date()
        used = self._daily.get(today, 0)
        if self.daily_quota is not None and used >= self.daily_quota:
            raise FakeError(30002, "daily call quota exhausted")
        self._daily[today] = used + 1  # a call refused with 30004 counts too (issue 16.9)
        window = self._windows.setdefault(path, [])  # arrival times, in order
        del window[: bisect.bisect_right(window, arrived - self.window_seconds)]
        if len(window) >= self.calls_per_20s:
            raise FakeError(30004, "call frequency exceeds the limit")
        bisect.insort(window, arrived)
        return auth

    def _authenticate(self, request: httpx.Request, payload: dict[str, Any]) -> _Auth:
        bearer = request.headers.get("authorization")
        if bearer is not None:
            if not bearer.startswith("Bearer "):
                raise FakeError(20016, "the cropId,cropAccessToken or authorization is error")
            self._check_token(bearer[len("Bearer ") :], "oauth")
            if request.headers.get("x-fs-ea") != self.ea:
                raise FakeError(20016, "the cropId,cropAccessToken or authorization is error")
            uid = request.headers.get("x-fs-userid")
            employee = self.employees.get(uid or "")
            if employee is None:
                raise FakeError(20012, "openUserId not found")
            return _Auth("oauth", employee)
        if not payload.get("corpAccessToken"):
            raise FakeError(20017, "corpAccessToken为必填项，不能为空")
        self._check_token(str(payload["corpAccessToken"]), "legacy")
        if payload.get("corpId") != self.corp_id:
            raise FakeError(20016, "the cropId,cropAccessToken or authorization is error")
        op = payload.get("currentOpenUserId")
        if not op:
            raise FakeError(10010, "the parameter openUserId is missing")
        employee = next((e for e in self.employees.values() if e.open_user_id == op), None)
        if employee is None:
            raise FakeError(20012, "openUserId not found")
        return _Auth("legacy", employee)

    def _route(self, path: str, payload: dict[str, Any], auth: _Auth) -> dict[str, Any]:
        if fake_writes.handles(path):
            return fake_writes.create(self, path, payload, auth.flow)
        if path in (PRESET_PREFIX + "query", CUSTOM_PREFIX + "query"):
            return self._query(path, payload, auth)
        if path == "/cgi/user/list":
            return self._user_list(payload, auth)
        if path == "/cgi/department/list":
            return {"departments": [dict(d) for d in self.departments.values()]}
        if path == "/cgi/crm/v2/object/list":
            return {"data": {"objects": [self._describe_brief(api) for api in self.objects]}}
        if path == fake_writes.DESCRIBE_PATH:
            return fake_writes.describe(self, payload)
        raise FakeError(-2, f"no such interface: {path}")

    def _describe_brief(self, api: str) -> dict[str, Any]:
        return {
            "describeApiName": api,
            "describeDisplayName": api,
            "defineType": "custom" if api.endswith("__c") else "package",
            "isActive": True,
        }

    # -- directory -----------------------------------------------------------------------

    def _employee_id(self, user_id: str, flow: str) -> str:
        employee = self.employees.get(user_id)
        if employee is None or flow == "oauth":
            return user_id
        return employee.open_user_id

    def _user_list(self, payload: dict[str, Any], auth: _Auth) -> dict[str, Any]:
        try:
            department = int(payload.get("departmentId"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise FakeError(11009, "departmentId is illegal") from None
        if department != 999999 and department not in self.departments:
            raise FakeError(30007, "department does not exist")
        wanted = {department}
        if payload.get("fetchChild"):
            wanted = self._subtree(department)
        users: list[dict[str, Any]] = []
        for e in [] if self.employees_hidden else self.employees.values():
            if department != 999999 and e.department_id not in wanted:
                continue
            if department == 999999 and not payload.get("fetchChild") and e.department_id != 999999:
                continue
            users.append(
                {
                    "openUserId": self._employee_id(e.user_id, auth.flow),
                    "account": e.mobile,
                    "name": e.name,
                    "nickName": e.name,
                    "isStop": e.is_stop,
                    "email": e.email,
                    "mobile": e.mobile,
                    "gender": "M",
                    "position": e.position,
                    "departmentIds": [e.department_id],
                    "mainDepartmentId": e.department_id,
                    "employeeNumber": e.employee_number,
                    "hireDate": e.hire_date,
                    "createTime": e.create_time,
                    "leaderId": self._employee_id(e.leader_id, auth.flow) if e.leader_id else None,
                }
            )
        return {"userList": users}

    def _subtree(self, root: int) -> set[int]:
        if root == 999999:
            return set(self.departments) | {999999}
        found = {root}
        changed = True
        while changed:
            changed = False
            for d in self.departments.values():
                if d["parentId"] in found and d["id"] not in found:
                    found.add(d["id"])
                    changed = True
        return found

    # -- queries ---------------------------------------------------------------------------

    def _query(self, path: str, payload: dict[str, Any], auth: _Auth) -> dict[str, Any]:
        data = payload.get("data")
        if not isinstance(data, dict):
            raise FakeError(32000, "data is required")
        api = data.get("dataObjectApiName")
        if not api:
            raise FakeError(32000, "dataObjectApiName is required")
        custom = path.startswith(CUSTOM_PREFIX)
        if api.endswith("__c") != custom:
            raise FakeError(32000, f"{api}: use the {'preset' if custom else 'custom'} interface")
        if api not in self.objects:
            raise FakeError(32000, f"object {api} does not exist or is not enabled")
        info = data.get("search_query_info")
        if not isinstance(info, dict):
            raise FakeError(32000, "searchQueryInfo is empty")
        limit, offset = info.get("limit", 20), info.get("offset", 0)
        if not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise FakeError(32000, f"limit must be between 1 and {MAX_LIMIT}")
        if not isinstance(offset, int) or offset < 0 or offset % limit:
            raise FakeError(32000, "offset must be a non-negative multiple of limit")
        if offset > OFFSET_WALL:
            raise FakeError(10013, "offset out of range 10000", "offset 不能超过10000")
        filters = [self._predicate(f, auth.flow) for f in info.get("filters") or []]
        orders = info.get("orders") or []
        want_total = data.get("find_explicit_total_num", True) is not False
        if api == "PersonnelObj" and not self.personnel_readable:
            rows: list[dict[str, Any]] = []
            total = 0
        else:
            rows, total = self._select(
                api, filters, info.get("filters") or [], orders, offset, limit, want_total
            )
        projection = info.get("fieldProjection") or None
        out = [self._wire(api, r, auth.flow, projection) for r in rows]
        self.counters.queries[api] = self.counters.queries.get(api, 0) + 1
        return {
            "data": {
                "dataList": out,
                "offset": offset,
                "limit": limit,
                "total": total if want_total else 0,
            }
        }

    def _predicate(self, spec: Any, flow: str) -> Callable[[dict[str, Any]], bool]:
        if not isinstance(spec, dict):
            raise FakeError(32000, "a filter must be an object")
        name, op, values = spec.get("field_name"), spec.get("operator"), spec.get("field_values")
        if op not in OPERATORS:
            raise FakeError(32000, f"unknown operator {op!r}")
        if not name or not isinstance(values, list):
            raise FakeError(32000, "a filter needs field_name and a field_values list")
        if name in EMPLOYEE_FIELDS and flow == "legacy":
            crm_ids = {e.open_user_id: e.user_id for e in self.employees.values()}
            values = [crm_ids.get(str(v), v) for v in values]

        def test(record: dict[str, Any]) -> bool:
            return _matches(record.get(name), op, values)

        return test

    def _sorted_ids(self, api: str) -> list[str]:
        if api in self._dirty:
            self._order[api] = sorted(self.objects[api])
            self._dirty.discard(api)
        return self._order.setdefault(api, sorted(self.objects[api]))

    def _select(
        self,
        api: str,
        filters: list[Callable[[dict[str, Any]], bool]],
        raw_filters: list[dict[str, Any]],
        orders: list[Any],
        offset: int,
        limit: int,
        count: bool = True,
    ) -> tuple[list[dict[str, Any]], int]:
        """The page asked for, and how many records match (if `count`)."""
        table = self.objects[api]
        named = {f.get("field_name") for f in raw_filters if isinstance(f, dict)}
        if not self.list_invalid and not named & {"is_deleted", "life_status"}:
            filters = [*filters, lambda r: not _invalid(r)]
        if orders in ([{"fieldName": "_id", "isAsc": True}], []):
            # Fast path for the keyset recipe: start at `_id GT x` in the sorted ids.
            ids = self._sorted_ids(api)
            start = 0
            for f in raw_filters:
                if f.get("field_name") == "_id" and f.get("operator") == "GT":
                    start = max(start, bisect.bisect_right(ids, str(f["field_values"][0])))
            matched = 0
            rows = []
            for i in range(start, len(ids)):
                record = table[ids[i]]
                if all(f(record) for f in filters):
                    if offset <= matched < offset + limit:
                        rows.append(record)
                    matched += 1
                    if not count and matched >= offset + limit:
                        break
            return rows, matched
        selected = [r for r in table.values() if all(f(r) for f in filters)]
        for order in reversed(orders):
            if not isinstance(order, dict) or "fieldName" not in order:
                raise FakeError(32000, "orders need fieldName and isAsc")
            key = order["fieldName"]
            selected.sort(
                key=lambda r, k=key: _sort_key(r.get(k)), reverse=not order.get("isAsc", True)
            )
        return selected[offset : offset + limit], len(selected)

    def _wire(
        self, api: str, record: dict[str, Any], flow: str, projection: list[str] | None
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in record.items():
            if projection is not None and key not in projection and key != "_id":
                continue
            if value is None or value == "" or value == []:
                continue  # includeNull defaults to false
            if key in EMPLOYEE_FIELDS or (self._is_employee(api, key) and isinstance(value, list)):
                value = [self._employee_id(v, flow) for v in value]
            elif self._is_employee(api, key) and isinstance(value, str):
                value = self._employee_id(value, flow)  # one id, as some tenants send it
            elif key == "check_object_id" and record.get("goal_type") == "2":
                value = self._employee_id(value, flow)
            out[key] = value
        for key in ("owner", "created_by", "last_modified_by"):
            ids = record.get(key) or []
            if not ids or (projection is not None and f"{key}__r" not in projection):
                continue
            e = self.employees.get(ids[0])
            if e is not None:  # the documented expansion of an employee field
                out[f"{key}__r"] = {
                    "id": self._employee_id(e.user_id, flow),
                    "name": e.name,
                    "nickname": "小" + e.name[:1],
                    "dept": str(e.department_id),
                    "supervisorId": e.leader_id,
                    "email": e.email,
                    "phone": e.mobile,
                    "status": 1 if e.is_stop else 0,
                    "tenantId": "590163",
                }
        return out

    def _is_employee(self, api: str, key: str) -> bool:
        meta = self.field_meta.get(api, {}).get(key)
        return meta is not None and meta.get("type") in ("employee", "employee_many")

    # -- changing the tenant -------------------------------------------------------------------

    def now_ms(self) -> int:
        """The tenant's clock (the hub's, plus `skew_ms`)."""
        return int(self.clock.time() * 1000) + self.skew_ms

    def new_id(self, at_ms: int | None = None) -> str:
        self._seq += 1
        seconds = (at_ms if at_ms is not None else self.now_ms()) // 1000
        return f"{seconds:08x}{self._seq:016x}"

    def add(self, api: str, fields: dict[str, Any], *, at_ms: int | None = None) -> str:
        """Create a record; `owner` is a list of CRM employee ids ("1000")."""
        with self._lock:
            at = at_ms if at_ms is not None else self.now_ms()
            rid = str(fields.get("_id") or self.new_id(at))
            record = {
                "_id": rid,
                "object_describe_api_name": api,
                "tenant_id": "590163",
                "record_type": "default__c",
                "life_status": "normal",
                "lock_status": "0",
                "is_deleted": False,
                "version": 1,
                "create_time": at,
                "last_modified_time": at,
                **fields,
            }
            table = self.objects.setdefault(api, {})
            table[rid] = record
            self._dirty.add(api)
            return rid

    def update(self, api: str, rid: str, **changes: Any) -> None:
        with self._lock:
            record = self.objects[api][rid]
            record.update(changes)
            self._touch(record)

    def _touch(self, record: dict[str, Any]) -> None:
        record["last_modified_time"] = max(self.now_ms(), record["last_modified_time"] + 1)
        record["version"] = int(record.get("version", 1)) + 1

    def invalidate(self, api: str, rid: str) -> None:
        """作废: into the recycle bin (life_status invalid, is_deleted true)."""
        with self._lock:
            record = self.objects[api][rid]
            record.update(life_status="invalid", is_deleted=True)
            self._touch(record)

    def delete(self, api: str, rid: str) -> None:
        """Delete for good; Fxiaoke only deletes records already invalidated."""
        with self._lock:
            record = self.objects[api][rid]
            if record.get("life_status") != "invalid":
                raise ValueError(f"{api} {rid}: invalidate before deleting")
            del self.objects[api][rid]
            self._dirty.add(api)

    def add_employee(self, employee: Employee) -> None:
        with self._lock:
            self.employees[employee.user_id] = employee
            self.add(
                "PersonnelObj",
                {
                    "user_id": employee.user_id,
                    "name": employee.name,
                    "full_name": employee.name,
                    "phone": employee.mobile,
                    "email": employee.email,
                    "status": "1" if employee.is_stop else "0",
                    "leader": [employee.leader_id] if employee.leader_id else [],
                    "owner": [employee.user_id],
                },
                at_ms=employee.create_time or None,
            )

    def update_employee(self, user_id: str, **changes: Any) -> None:
        with self._lock:
            employee = self.employees[user_id]
            for key, value in changes.items():
                setattr(employee, key, value)
            person = next(
                r for r in self.objects["PersonnelObj"].values() if r["user_id"] == user_id
            )
            person.update(
                name=employee.name,
                full_name=employee.name,
                phone=employee.mobile,
                status="1" if employee.is_stop else "0",
            )
            self._touch(person)

    # -- trouble ---------------------------------------------------------------------------------

    def fail(
        self, code: int, *, times: int = 1, after_calls: int = 0, path: str | None = None
    ) -> None:
        """Answer the next `times` business calls after `after_calls` with `code`."""
        with self._lock:
            start = self.counters.business_calls + after_calls
            self._faults.append(_Fault(code, times, start, path))

    def at_call(self, n: int, action: Callable[[], None]) -> None:
        """Run `action` when the n-th business call from now arrives."""
        with self._lock:
            self._scheduled.append((self.counters.business_calls + n, action))

    def stats(self) -> dict[str, Any]:
        with self._lock:
            c = self.counters
            return {
                "business_calls": c.business_calls,
                "token_calls": c.token_calls,
                "queries": dict(c.queries),
                "answered": {str(k): v for k, v in c.answered.items()},
                "records": {api: len(t) for api, t in self.objects.items()},
                "written": [{"api": w["api"], "id": w["id"]} for w in self.written],
            }

    def used_today(self) -> int:
        today = dt.datetime.fromtimestamp(self.clock.time(), SHANGHAI).date()
        return self._daily.get(today, 0)

    def operator(self, flow: str = "legacy") -> str:
        """An admin's id in the form the flow uses (the first employee)."""
        first = next(iter(self.employees.values()))
        return first.open_user_id if flow == "legacy" else first.user_id

    def settings(self, url: str, flow: str = "legacy") -> dict[str, Any]:
        """hub.toml settings of a connection to this tenant."""
        return {
            "host": url,
            "auth": "corp_access_token" if flow == "legacy" else "oauth",
            "app_id": self.app_id,
            "app_secret": self.app_secret,
            "permanent_code": self.permanent_code,
            "operator_user_id": self.operator(flow),
        }


# -- filter semantics ---------------------------------------------------------------------------


def _invalid(record: dict[str, Any]) -> bool:
    return record.get("life_status") == "invalid" or record.get("is_deleted") is True


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (1, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | float):
        return (0, value)
    return (0, str(value))


def _coerce(field_value: Any, wanted: Any) -> Any:
    """Filter values arrive as strings; compare numbers as numbers."""
    if isinstance(field_value, bool):
        return str(wanted).lower() == "true"
    if isinstance(field_value, int | float):
        try:
            return float(wanted)
        except (TypeError, ValueError):
            raise FakeError(32000, f"not a number in a filter: {wanted!r}") from None
    return str(wanted)


def _matches(value: Any, op: str, wanted: list[Any]) -> bool:
    empty = value is None or value == "" or value == []
    if op == "IS":
        return empty
    if op == "ISN":
        return not empty
    if isinstance(value, list):
        items = [str(v) for v in value]
        wanted_s = [str(w) for w in wanted]
        if op in ("EQ", "IN", "HASANYOF", "CONTAINS"):
            return any(w in items for w in wanted_s)
        if op in ("N", "NIN", "NHASANYOF"):
            return not any(w in items for w in wanted_s)
        value = items[0] if items else None
        empty = value is None
    if op == "N":
        return empty or value != _coerce(value, wanted[0])
    if empty:
        return op in ("NIN", "NLIKE", "NBETWEEN")
    if op in ("EQ", "GT", "GTE", "LT", "LTE"):
        other = _coerce(value, wanted[0])
        return {
            "EQ": value == other,
            "GT": value > other,
            "GTE": value >= other,
            "LT": value < other,
            "LTE": value <= other,
        }[op]
    if op == "IN":
        return value in [_coerce(value, w) for w in wanted]
    if op == "NIN":
        return value not in [_coerce(value, w) for w in wanted]
    if op in ("BETWEEN", "NBETWEEN"):
        low, high = (_coerce(value, w) for w in wanted[:2])
        inside = low <= value <= high
        return inside if op == "BETWEEN" else not inside
    text, needle = str(value), str(wanted[0])
    return {
        "LIKE": needle in text,
        "CONTAINS": needle in text,
        "NLIKE": needle not in text,
        "STARTWITH": text.startswith(needle),
        "ENDWITH": text.endswith(needle),
    }[op]


# -- a demo tenant -----------------------------------------------------------------------------

_CITIES = [
    "上海",
    "北京",
    "广州",
    "深圳",
    "杭州",
    "南京",
    "苏州",
    "成都",
    "武汉",
    "西安",
    "天津",
    "重庆",
    "宁波",
    "厦门",
    "青岛",
]
_WORDS = [
    "华信",
    "远航",
    "恒通",
    "瑞丰",
    "金桥",
    "海川",
    "宏达",
    "新程",
    "东方",
    "博远",
    "联创",
    "卓越",
    "鼎盛",
    "星河",
    "安泰",
]
_TRADES = ["贸易", "科技", "实业", "物流", "电子", "食品", "机械", "医药", "建材", "纺织"]
_SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
]
_GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛"]


def _company_name(rnd: random.Random, n: int) -> str:
    return f"{rnd.choice(_CITIES)}{rnd.choice(_WORDS)}{rnd.choice(_TRADES)}有限公司{n}"


@dataclass
class DemoSizes:
    accounts: int = 200
    follow_ups: int | None = None
    visits: int | None = None
    orders: int | None = None
    payments: int | None = None
    managers: int | None = None
    contacts: int | None = None

    def resolved(self) -> dict[str, int]:
        a = self.accounts
        return {
            "contacts": self.contacts if self.contacts is not None else a * 6 // 5,
            "accounts": a,
            "follow_ups": self.follow_ups if self.follow_ups is not None else a * 8 // 5,
            "visits": self.visits if self.visits is not None else a // 2,
            "orders": self.orders if self.orders is not None else a * 7 // 10,
            "payments": self.payments if self.payments is not None else a // 2,
            "managers": self.managers if self.managers is not None else max(6, min(200, a // 100)),
        }


def populate(fake: FakeFxiaoke, sizes: DemoSizes | None = None, seed: int = 7) -> FakeFxiaoke:
    """Fill the tenant with departments, employees and a few years of CRM data,
    all older than a day (so a fresh sync has nothing "recent")."""
    sizes_ = (sizes or DemoSizes()).resolved()
    rnd = random.Random(seed)
    now = fake.now_ms() - 86_400_000
    two_years = 2 * 365 * 86_400_000
    with fake._lock:
        fake.departments = {
            999999: {"id": 999999, "name": "全公司", "parentId": 0, "isStop": False, "order": 0},
            1001: {
                "id": 1001,
                "name": "华东销售部",
                "parentId": 999999,
                "isStop": False,
                "order": 1,
            },
            1002: {
                "id": 1002,
                "name": "华南销售部",
                "parentId": 999999,
                "isStop": False,
                "order": 2,
            },
            1003: {"id": 1003, "name": "外贸部", "parentId": 999999, "isStop": False, "order": 3},
        }
        depts = [1001, 1002, 1003]
        leaders: dict[int, str] = {}
        user_ids = []
        for i in range(sizes_["managers"]):
            uid = str(1000 + i)
            dept = depts[i % 3] if i else 999999
            leader = None if i == 0 else leaders.get(dept, "1000")
            employee = Employee(
                user_id=uid,
                open_user_id="FSUID_" + uuid.UUID(int=rnd.getrandbits(128)).hex.upper(),
                name=rnd.choice(_SURNAMES) + rnd.choice(_GIVEN) + ("" if i < 15 else str(i)),
                mobile=f"13{rnd.randint(100000000, 999999999)}",
                email=f"user{uid}@example.com",
                department_id=dept,
                leader_id=leader,
                is_stop=(i % 37 == 36),
                employee_number=f"E{uid}",
                position="客户经理" if i else "销售总监",
                hire_date=f"{2015 + i % 10}-0{1 + i % 9}-15",
                create_time=now - two_years - i * 1000,
            )
            leaders.setdefault(dept, uid)
            fake.add_employee(employee)
            user_ids.append(uid)
        sellers = user_ids[1:] or user_ids
        accounts = []
        for _ in range(sizes_["accounts"]):
            at = now - rnd.randint(0, two_years)
            pooled = rnd.random() < 0.02
            accounts.append(
                fake.add(
                    "AccountObj",
                    {
                        "name": _company_name(rnd, len(accounts)),
                        "owner": [] if pooled else [rnd.choice(sellers)],
                        "tel": f"0{rnd.randint(10, 99)}-{rnd.randint(10000000, 99999999)}",
                        "account_level": rnd.choice(["1", "2", "3"]),
                        "industry_level1": rnd.choice(_TRADES),
                        "account_type": rnd.choice(["1", "2"]),
                        "deal_status": rnd.choice(["1", "2", "3"]),
                        "UDSText1__c": rnd.choice(["重点", "普通", ""]),
                        "field_8z4KD__c": str(rnd.randint(1, 100)),
                        "high_seas_id": "pool1" if pooled else "",
                    },
                    at_ms=at,
                )
            )
        owners = {a: (fake.objects["AccountObj"][a]["owner"] or [sellers[0]]) for a in accounts}

        def activity(api: str, count: int, extra: Callable[[str, int], dict[str, Any]]) -> None:
            fake.objects.setdefault(api, {})
            for _ in range(count):
                account = rnd.choice(accounts) if accounts else ""
                at = now - rnd.randint(0, two_years)
                fake.add(
                    api,
                    {"owner": list(owners.get(account, [sellers[0]])), **extra(account, at)},
                    at_ms=at,
                )

        def money() -> str:
            return f"{Decimal(rnd.randint(10000, 50000000)) / 100:.2f}"

        activity(
            "ActiveRecordObj",
            sizes_["follow_ups"],
            lambda acc, at: {
                "active_record_content": rnd.choice(
                    ["电话沟通报价", "微信跟进需求", "上门拜访", "发送样品"]
                ),
                "active_record_type": rnd.choice(["phone", "wechat", "visit"]),
                "related_object_data": [{"describe_api_name": "AccountObj", "id": acc}],
            },
        )
        activity(
            "CheckinsObj",
            sizes_["visits"],
            lambda acc, at: {
                "customer_id": acc,
                "communicate_record": "现场拜访",
                "checkins_scene": "visit",
            },
        )
        activity(
            "SalesOrderObj",
            sizes_["orders"],
            lambda acc, at: {
                "name": f"SO{at // 1000}",
                "account_id": acc,
                "order_amount": money(),
                "order_time": at,
            },
        )
        activity(
            "PaymentObj",
            sizes_["payments"],
            lambda acc, at: {
                "name": f"PAY{at // 1000}",
                "account_id": acc,
                "payment_amount": money(),
                "payment_time": at,
                "payment_term": "1",
            },
        )
        this_year = dt.datetime.fromtimestamp(now / 1000, SHANGHAI).year
        fake.objects.setdefault("GoalValueObj", {})
        for uid in sellers:
            for year in (this_year - 1, this_year):
                months = {f"{m}_value": f"{rnd.randint(50, 500) * 1000}.00" for m in MONTH_NAMES}
                fake.add(
                    "GoalValueObj",
                    {
                        "name": f"{year}-{uid}",
                        "goal_type": "2",
                        "check_object_id": uid,
                        "goal_rule_id": "rule_sales",
                        "fiscal_year": str(year),
                        "owner": [uid],
                        **months,
                    },
                    at_ms=now - rnd.randint(0, 86_400_000 * 30),
                )
        fake.add(
            "GoalValueObj",
            {
                "name": f"{this_year}-外贸部",
                "goal_type": "1",
                "check_object_id": "1003",
                "goal_rule_id": "rule_sales",
                "fiscal_year": str(this_year),
                "owner": ["1000"],
                "january_value": "2000000.00",
            },
            at_ms=now,
        )
        _populate_contacts(fake, sizes_["contacts"], accounts, owners, sellers, now, seed)
        fake.field_meta.update(json.loads(json.dumps(FIELD_META)))  # a copy per tenant
    return fake


FIELD_META: dict[str, dict[str, dict[str, Any]]] = {
    "AccountObj": {
        "account_level": {
            "type": "select_one",
            "label": "客户级别",
            "options": [
                {"value": "1", "label": "重要客户"},
                {"value": "2", "label": "普通客户"},
                {"value": "3", "label": "小客户"},
            ],
        },
        "account_type": {
            "type": "select_one",
            "label": "客户类型",
            "options": [{"value": "1", "label": "终端客户"}, {"value": "2", "label": "渠道客户"}],
        },
        "deal_status": {
            "type": "select_one",
            "label": "成交状态",
            "options": [
                {"value": "1", "label": "未成交"},
                {"value": "2", "label": "已成交"},
                {"value": "3", "label": "多次成交"},
            ],
        },
        "uniform_social_credit_code": {"type": "text", "label": "统一社会信用代码"},
    },
    "GoalValueObj": {
        "check_object_id": {"type": "text", "label": "考核对象"},
        "check_dimension_value1": {"type": "employee", "label": "人员"},
    },
}
"""What `describe` says beyond "text" about the demo tenant's fields."""


def _populate_contacts(
    fake: FakeFxiaoke,
    count: int,
    accounts: list[str],
    owners: dict[str, list[str]],
    sellers: list[str],
    now: int,
    seed: int,
) -> None:
    """ContactObj (联系人): the people at the accounts, the first of each
    account its primary contact. A generator of its own, so adding contacts
    left every other object of a seeded tenant as it was."""
    rnd = random.Random(seed * 7919 + 1)
    fake.objects.setdefault("ContactObj", {})
    seen: set[str] = set()
    for n in range(count if accounts else 0):
        account = rnd.choice(accounts)
        at = now - rnd.randint(0, 2 * 365 * 86_400_000)
        fake.add(
            "ContactObj",
            {
                "name": rnd.choice(_SURNAMES) + rnd.choice(_GIVEN) + rnd.choice(_GIVEN),
                "account_id": account,
                "owner": list(owners.get(account) or [sellers[0]]),
                "job_title": rnd.choice(["采购经理", "财务", "总经理", "技术负责人"]),
                "department": rnd.choice(["采购部", "财务部", "总经办", ""]),
                "mobile1": f"13{rnd.randint(100000000, 999999999)}",
                "tel1": f"0{rnd.randint(10, 99)}-{rnd.randint(10000000, 99999999)}",
                "email": f"contact{n}@example.cn",
                "primary_contact": "0" if account in seen else "1",
            },
            at_ms=at,
        )
        seen.add(account)


def ids(fake: FakeFxiaoke, api: str) -> Iterable[str]:
    return list(fake.objects.get(api, {}))
