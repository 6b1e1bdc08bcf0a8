"""A stateful fake of Zoho's accounts server and CRM API (v8), as one handler.

`FakeZoho.handle(request) -> response` is mounted on respx in tests and
served on loopback by `hub fake-zoho`. It keeps to what Zoho documents, so
an adapter that passes against it does the same against Zoho:

- token endpoint: refresh-token grant only; HTTP 200 with `{"error":
  "invalid_client" | "invalid_client_secret" | "invalid_code"}` on bad
  credentials; 400 "Access Denied" past 10 mints per refresh token in 10
  minutes, and every request while blocked extends the block by another 10
  minutes; the answer names `api_domain`; other data centres' accounts
  servers do not know the client;
- API: `Authorization: Zoho-oauthtoken …` only; 401 INVALID_TOKEN for an
  expired or foreign token (another data centre's host included); 401
  OAUTH_SCOPE_MISMATCH when the token lacks the scope; Notes listed by
  administrators only (403 NOT_SUPPORTED);
- listings: `fields` required (400 REQUIRED_PARAM_MISSING), at most 50
  (400 LIMIT_EXCEEDED), known names only; per_page at most 200; `page`
  reaches only the first 2,000 records (400 DISCRETE_PAGINATION_LIMIT_EXCEEDED);
  `page_token` bound to the other parameters (TOKEN_BOUND_DATA_MISMATCH),
  expiring after 24 hours (EXPIRED_VALUE) and 100,000 records
  (PAGINATION_LIMIT_EXCEEDED); `page` with `page_token` is
  AMBIGUITY_DURING_PROCESSING; If-Modified-Since filters, 304 when nothing
  changed, 204 when nothing exists; `/{module}/deleted` and `/users` paged
  by number;
- limits: requests in flight above the concurrency limit (and sorted
  listings above the sub-concurrency limit of 10) get 429
  TOO_MANY_REQUESTS; every call spends credits (2 for deleted records),
  `X-API-CREDITS-REMAINING` is sent once half are spent, and an empty
  balance answers 429.

Faults for resilience tests are injected with `inject` (429 storms, 5xx
bursts, timeouts, dropped connections, tokens expiring mid-run).
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import httpx

from hub_zoho.fake import writes
from hub_zoho.fake.org import ADMIN_ONLY, NO_DELETED_LISTING, FakeOrg
from hub_zoho.settings import ACCOUNTS_URLS, API_DOMAINS

CLIENT_ID = "1000.FAKECLIENTID0000000000000000"
CLIENT_SECRET = "fake-client-secret-0000"
REFRESH_TOKEN = "1000.fakerefreshtoken.0000"
ALL_SCOPES = ("ZohoCRM.modules.ALL", "ZohoCRM.users.READ", "ZohoCRM.settings.fields.READ")
SYSTEM_KEYS = {"$se_module", "$event_cancelled", "$approval_state", "$editable"}
DISCRETE_LIMIT = 2000
MINTS_PER_WINDOW = 10
MINT_WINDOW = 600.0
PAGE_TOKEN_LIFETIME = dt.timedelta(hours=24)

EDITION_CONCURRENCY = {
    "Free": 5,
    "Standard": 10,
    "Professional": 15,
    "Enterprise": 20,
    "Ultimate": 25,
}
"""Concurrent calls Zoho allows an org per app, by edition (sorted listings: at most 10)."""

TOO_MANY = {
    "code": "TOO_MANY_REQUESTS",
    "details": {},
    "message": "Number of API requests for the 24 hour period is exceeded or the concurrency "
    "limit of the user for the app is exceeded",
    "status": "error",
}


@dataclass
class Grant:
    """A refresh token and what it may do."""

    client_id: str
    scopes: tuple[str, ...] = ALL_SCOPES
    user_id: str | None = None
    """Whose token it is (None: the org's first administrator)."""
    revoked: bool = False


@dataclass
class Access:
    refresh_token: str
    scopes: tuple[str, ...]
    user_id: str | None
    expires: float
    answered: int = 0
    """API requests answered with this token."""


@dataclass
class PageToken:
    binding: str
    last_key: tuple[Any, str]
    served: int
    issued: dt.datetime
    page: int


@dataclass
class Fault:
    kind: str
    """429, 500, 502, 503, timeout, disconnect, expire_token, quota."""
    times: int = 1
    every: int = 1
    path: str | None = None
    after: int = 0
    """Matching requests let through before the fault starts."""
    seen: int = 0


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)
    """Answered API requests by path ("/crm/v8/Calls")."""
    statuses: Counter[int] = field(default_factory=Counter)
    mints: int = 0
    """Access tokens issued."""
    token_requests: int = 0
    """Requests to the token endpoint, refused ones included."""
    token_throttled: int = 0
    """Token requests answered 400 Access Denied."""
    max_in_flight: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "mints": self.mints,
            "token_requests": self.token_requests,
            "token_throttled": self.token_throttled,
            "max_in_flight": self.max_in_flight,
        }


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(body, default=_plain).encode(),
        headers={"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
    )


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _error(status: int, code: str, message: str, details: Any = None) -> httpx.Response:
    return _json(
        status, {"code": code, "details": details or {}, "message": message, "status": "error"}
    )


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode()}"


class FakeZoho:
    """One Zoho account on one data centre: an accounts server and a CRM API."""

    def __init__(
        self,
        org: FakeOrg | None = None,
        *,
        dc: str = "us",
        accounts_url: str | None = None,
        api_domain: str | None = None,
        user_timezone: str = "America/Los_Angeles",
        concurrency_limit: int | None = None,
        edition: str = "Standard",
        sub_concurrency_limit: int = 10,
        daily_credits: int = 1_000_000,
        token_lifetime: float = 3600.0,
        page_token_limit: int = 100_000,
        latency: float = 0.0,
    ) -> None:
        self.org = org or FakeOrg()
        self.dc = dc
        self.accounts_url = accounts_url or ACCOUNTS_URLS[dc]
        self.api_domain = api_domain or API_DOMAINS[dc]
        self.tz = ZoneInfo(user_timezone)
        self.concurrency_limit = concurrency_limit or EDITION_CONCURRENCY[edition]
        """Requests in flight the org allows (from `edition` unless given)."""
        self.sub_concurrency_limit = sub_concurrency_limit
        self.daily_credits = daily_credits
        self.token_lifetime = token_lifetime
        self.page_token_limit = page_token_limit
        self.latency = latency
        self.clients: dict[str, str] = {CLIENT_ID: CLIENT_SECRET}
        self.grants: dict[str, Grant] = {REFRESH_TOKEN: Grant(CLIENT_ID)}
        self.tokens: dict[str, Access] = {}
        self.page_tokens: dict[str, PageToken] = {}
        self.credits_used = 0
        self.faults: list[Fault] = []
        self.stats = Stats()
        self.written: list[dict[str, Any]] = []
        """Every record inserted through the API, with the `trigger` it was sent with."""
        self.refused: list[str] = []
        """The code of every record an insert refused (DUPLICATE_DATA, …)."""
        self._mint_times: dict[str, list[float]] = {}
        self._blocked_until: dict[str, float] = {}
        self.clock = time.monotonic
        """The fake's clock for token lifetimes and the mint window (tests may replace it)."""
        self._lock = threading.Lock()
        self._in_flight = 0
        self._sorted_in_flight = 0
        self._rendered: dict[tuple[str, tuple[str, ...]], tuple[dict[str, Any], str]] = {}

    # -- set-up helpers for tests ----------------------------------------------------------------

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Connection settings (as in hub.toml) that point at this fake."""
        values: dict[str, Any] = {
            "accounts_url": self.accounts_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
        }
        if self.accounts_url == ACCOUNTS_URLS.get(self.dc):
            values = {"dc": self.dc, **{k: v for k, v in values.items() if k != "accounts_url"}}
        return {**values, **overrides}

    def grant(self, refresh_token: str, scopes: tuple[str, ...] = ALL_SCOPES, **kw: Any) -> str:
        self.grants[refresh_token] = Grant(CLIENT_ID, scopes, **kw)
        return refresh_token

    def revoke(self, refresh_token: str = REFRESH_TOKEN) -> None:
        self.grants[refresh_token].revoked = True
        for token, access in list(self.tokens.items()):
            if access.refresh_token == refresh_token:
                del self.tokens[token]

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (as an hour later)."""
        with self._lock:
            for access in self.tokens.values():
                access.expires = 0.0

    def inject(
        self, kind: str, times: int = 1, every: int = 1, path: str | None = None, after: int = 0
    ) -> Fault:
        """Make upcoming API requests (whose path contains `path`) fail: after
        letting `after` through, every `every`-th one, `times` times.
        `expire_token` expires the request's token (answered 401), counting only
        requests whose token has already worked: no token expires before its
        first use."""
        fault = Fault(kind, times, every, path, after)
        with self._lock:
            self.faults.append(fault)
        return fault

    # -- the handler -------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        response = self._handle(request)
        # Zoho's servers keep their own time: the Date header is the org's clock, which
        # tests may set apart from the hub's.
        response.headers["Date"] = format_datetime(self.org.now(), usegmt=True)
        return response

    def _handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/oauth/v2/token":
            return self._token(request)
        if path.startswith("/crm/"):
            return self._api(request)
        if path.startswith("/__fake__/"):
            return self._control(request)
        return _error(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )

    __call__ = handle

    def _control(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/__fake__/stats":  # POST: answer, then start counting afresh
            answer = _json(200, {**self.stats.as_json(), "credits_used": self.credits_used})
            if request.method == "POST":
                self.stats = Stats()
            return answer
        if request.url.path == "/__fake__/written":  # what `hub actions apply` created
            return _json(200, {"written": self.written})
        return _error(404, "INVALID_URL_PATTERN", "no such control endpoint")

    # -- accounts server -----------------------------------------------------------------------

    def _token(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.stats.token_requests += 1
        origin = _origin(request.url)
        if origin != self.accounts_url:
            if origin in ACCOUNTS_URLS.values():  # another data centre: never heard of the client
                return _json(200, {"error": "invalid_client"})
            raise httpx.ConnectError(f"cannot resolve {request.url.host}", request=request)
        form = dict(parse_qsl(request.content.decode())) | dict(request.url.params)
        if form.get("grant_type") != "refresh_token":
            return _json(200, {"error": "unsupported_grant_type"})
        client_id = form.get("client_id", "")
        if client_id not in self.clients:
            return _json(200, {"error": "invalid_client"})
        if form.get("client_secret") != self.clients[client_id]:
            return _json(200, {"error": "invalid_client_secret"})
        refresh = form.get("refresh_token", "")
        grant = self.grants.get(refresh)
        if grant is None or grant.revoked or grant.client_id != client_id:
            return _json(200, {"error": "invalid_code"})
        now = self.clock()
        with self._lock:
            recent = [t for t in self._mint_times.get(refresh, []) if now - t < MINT_WINDOW]
            blocked = now < self._blocked_until.get(refresh, 0.0)
            if blocked or len(recent) >= MINTS_PER_WINDOW:
                self._mint_times[refresh] = recent
                self._blocked_until[refresh] = now + MINT_WINDOW  # asking again extends it
                self.stats.token_throttled += 1
                return _json(
                    400,
                    {
                        "error": "Access Denied",
                        "error_description": "You have made too many requests continuously. "
                        "Please try again after some time.",
                    },
                )
            self._mint_times[refresh] = [*recent, now]
            token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
            self.tokens[token] = Access(
                refresh, grant.scopes, grant.user_id, now + self.token_lifetime
            )
            self.stats.mints += 1
        return _json(
            200,
            {
                "access_token": token,
                "scope": " ".join(grant.scopes),
                "api_domain": self.api_domain,
                "token_type": "Bearer",
                "expires_in": int(self.token_lifetime),
            },
        )

    # -- API -----------------------------------------------------------------------------------

    def _api(self, request: httpx.Request) -> httpx.Response:
        origin = _origin(request.url)
        if origin != self.api_domain:
            if origin in API_DOMAINS.values():  # a real Zoho host of another data centre
                return _error(401, "INVALID_TOKEN", "invalid oauth token")
            raise httpx.ConnectError(f"cannot resolve {request.url.host}", request=request)
        path = request.url.path
        params = dict(request.url.params)
        header = request.headers.get("Authorization", "")
        token = (
            header.removeprefix("Zoho-oauthtoken ")
            if header.startswith("Zoho-oauthtoken ")
            else None
        )
        injected = self._fault(request, path, token)
        if injected is not None:
            return self._count(path, injected)
        if token is None:
            return self._count(path, _error(401, "AUTHENTICATION_FAILURE", "Authentication failed"))
        access = self.tokens.get(token)
        if access is None or access.expires <= self.clock():
            return self._count(path, _error(401, "INVALID_TOKEN", "invalid oauth token"))
        sorted_listing = "sort_by" in params
        with self._lock:
            self._in_flight += 1
            self._sorted_in_flight += sorted_listing
            self.stats.max_in_flight = max(self.stats.max_in_flight, self._in_flight)
            crowded = self._in_flight > self.concurrency_limit or (
                self._sorted_in_flight > self.sub_concurrency_limit
            )
            cost = 2 if path.endswith("/deleted") else 1
            broke = not crowded and self.credits_used + cost > self.daily_credits
            if not crowded and not broke:
                self.credits_used += cost
        try:
            if self.latency:
                time.sleep(self.latency)
            if crowded:
                return self._count(path, _json(429, TOO_MANY))
            if broke:
                return self._count(path, _json(429, TOO_MANY, {"X-API-CREDITS-REMAINING": "0"}))
            with self.org.lock:
                parts = path.strip("/").split("/")
                if writes.handles(request, parts) and parts[1:2] == ["v8"]:
                    response = writes.handle(self, request, parts, access)
                else:
                    response = self._route(path, params, request.headers, access)
                access.answered += 1
            if self.credits_used * 2 >= self.daily_credits:
                response.headers["X-API-CREDITS-REMAINING"] = str(
                    max(self.daily_credits - self.credits_used, 0)
                )
            return self._count(path, response)
        finally:
            with self._lock:
                self._in_flight -= 1
                self._sorted_in_flight -= sorted_listing

    def _count(self, path: str, response: httpx.Response) -> httpx.Response:
        with self._lock:
            self.stats.requests[path] += 1
            self.stats.statuses[response.status_code] += 1
        return response

    def _fault(self, request: httpx.Request, path: str, token: str | None) -> httpx.Response | None:
        with self._lock:
            fault = None
            for candidate in self.faults:
                if candidate.times <= 0 or (candidate.path and candidate.path not in path):
                    continue
                if candidate.kind == "expire_token" and not self._in_use(token):
                    continue  # tokens expire an hour after minting, never before first use
                candidate.seen += 1
                due = candidate.seen - candidate.after
                if due > 0 and due % candidate.every == 0:
                    candidate.times -= 1
                    fault = candidate
                    break
            if fault is None:
                return None
            if fault.kind == "expire_token":
                if token in self.tokens:
                    self.tokens[token].expires = 0.0
                return None
            if fault.kind == "quota":
                self.credits_used = self.daily_credits
                return None
        if fault.kind == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if fault.kind == "disconnect":
            raise httpx.RemoteProtocolError("Server disconnected", request=request)
        if fault.kind == "429":
            return _json(429, TOO_MANY)
        if fault.kind == "502":
            return httpx.Response(502, content=b"<html><body>Bad Gateway</body></html>")
        return _error(int(fault.kind), "INTERNAL_ERROR", "Internal Server Error")

    def _in_use(self, token: str | None) -> bool:
        access = self.tokens.get(token or "")
        return access is not None and access.answered > 0

    def _route(
        self, path: str, params: dict[str, str], headers: httpx.Headers, access: Access
    ) -> httpx.Response:
        parts = path.strip("/").split("/")  # crm, v8, ...
        if len(parts) < 3 or parts[1] != "v8":
            return _error(
                404,
                "INVALID_URL_PATTERN",
                "Please check if the URL trying to access is a correct one",
            )
        since = self._since(headers.get("If-Modified-Since"))
        if isinstance(since, httpx.Response):
            return since
        head = parts[2]
        if head == "users" and len(parts) == 3:
            return self._users(params, since, access)
        if head == "settings" and parts[3:] == ["fields"]:
            return self._fields(params, access)
        if len(parts) == 4 and parts[3] == "deleted":
            return self._deleted(head, params, since, access)
        if len(parts) == 3:
            return self._records(head, params, since, access)
        return _error(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )

    def _since(self, value: str | None) -> dt.datetime | httpx.Response | None:
        if not value:
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return _error(
                400, "INVALID_DATA", "invalid If-Modified-Since", {"header": "If-Modified-Since"}
            )
        if moment.tzinfo is None:
            return _error(
                400,
                "INVALID_DATA",
                "If-Modified-Since needs an offset",
                {"header": "If-Modified-Since"},
            )
        return moment

    # -- scopes and users ----------------------------------------------------------------------

    def _allowed(self, access: Access, *scopes: str) -> bool:
        return any(s in access.scopes for s in scopes)

    def _scope_error(self) -> httpx.Response:
        return _error(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")

    def _module_scope(self, access: Access, module: str) -> bool:
        custom = module not in {
            "Accounts",
            "Contacts",
            "Calls",
            "Tasks",
            "Events",
            "Notes",
            "Deals",
            "Leads",
        }
        name = "custom" if custom else module.lower()
        return self._allowed(
            access,
            "ZohoCRM.modules.ALL",
            "ZohoCRM.modules.READ",
            f"ZohoCRM.modules.{name}.ALL",
            f"ZohoCRM.modules.{name}.READ",
        )

    def token_user(self, access: Access) -> dict[str, Any]:
        users = self.org.users
        if access.user_id and access.user_id in users:
            return users[access.user_id]
        admins = [u for u in users.values() if u["profile"]["name"] == "Administrator"]
        if admins:
            return admins[0]
        return {
            "id": "0",
            "full_name": "Org Admin",
            "profile": {"name": "Administrator", "id": "0"},
        }

    def _render_user(self, user: dict[str, Any]) -> dict[str, Any]:
        return {k: self._out(v) for k, v in user.items()}

    def _out(self, value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.astimezone(self.tz).isoformat(timespec="seconds")
        return value

    def _users(
        self, params: dict[str, str], since: dt.datetime | None, access: Access
    ) -> httpx.Response:
        if not self._allowed(access, "ZohoCRM.users.READ", "ZohoCRM.users.ALL"):
            return self._scope_error()
        kind = params.get("type", "AllUsers")
        users = list(self.org.users.values())
        pick = {
            "AllUsers": lambda u: u["status"] != "deleted",  # deleted ones: DeletedUsers only
            "ActiveUsers": lambda u: u["status"] == "active",
            "DeactiveUsers": lambda u: u["status"] == "inactive",
            "DeletedUsers": lambda u: u["status"] == "deleted",
            "AdminUsers": lambda u: u["profile"]["name"] == "Administrator",
        }
        if kind == "CurrentUser":
            chosen = [self.token_user(access)]
        elif kind in pick:
            chosen = [u for u in users if pick[kind](u)]
        else:
            return _error(400, "INVALID_DATA", "invalid type", {"param_name": "type"})
        if since is not None:
            newer = [u for u in chosen if u["Modified_Time"] > since]
            if chosen and not newer:
                return httpx.Response(304)
            chosen = newer
        return self._numbered("users", chosen, params, self._render_user)

    def _numbered(
        self, key: str, items: list[dict[str, Any]], params: dict[str, str], render: Any
    ) -> httpx.Response:
        per_page = self._per_page(params)
        if isinstance(per_page, httpx.Response):
            return per_page
        page = int(params.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        if not chunk:
            return httpx.Response(204)
        more = page * per_page < len(items)
        return _json(
            200,
            {
                key: [render(i) for i in chunk],
                "info": {
                    "per_page": per_page,
                    "count": len(chunk),
                    "page": page,
                    "more_records": more,
                },
            },
        )

    def _per_page(self, params: dict[str, str]) -> int | httpx.Response:
        try:
            per_page = int(params.get("per_page", "200"))
        except ValueError:
            per_page = 0
        if not 1 <= per_page <= 200:
            return _error(
                400,
                "INVALID_DATA",
                "per_page must be between 1 and 200",
                {"param_name": "per_page", "maximum_length": 200},
            )
        return per_page

    # -- metadata --------------------------------------------------------------------------------

    def _fields(self, params: dict[str, str], access: Access) -> httpx.Response:
        if not self._allowed(
            access,
            "ZohoCRM.settings.fields.READ",
            "ZohoCRM.settings.fields.ALL",
            "ZohoCRM.settings.READ",
            "ZohoCRM.settings.ALL",
        ):
            return self._scope_error()
        name = params.get("module")
        if not name:
            return _error(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                {"param_name": "module"},
            )
        module = self.org.modules.get(name)
        if module is None:
            return _error(
                400, "INVALID_MODULE", "the module name given seems to be invalid", {"module": name}
            )
        return _json(200, {"fields": [f.as_json() for f in module.fields]})

    # -- deleted records -----------------------------------------------------------------------

    def _deleted(
        self, name: str, params: dict[str, str], since: dt.datetime | None, access: Access
    ) -> httpx.Response:
        module = self.org.modules.get(name)
        if module is None:
            return _error(400, "INVALID_MODULE", "the module name given seems to be invalid")
        if not self._module_scope(access, name):
            return self._scope_error()
        if name in NO_DELETED_LISTING:
            return _error(400, "NOT_SUPPORTED", "the module does not support deleted records")
        kind = params.get("type", "all")
        if kind not in ("all", "recycle", "permanent"):
            return _error(400, "INVALID_DATA", "invalid type", {"param_name": "type"})
        items = [
            d
            for d in reversed(module.deleted)
            if (kind == "all" or d["type"] == kind) and (since is None or d["deleted_time"] > since)
        ]
        return self._numbered("data", items, params, self._render_user)

    # -- records -------------------------------------------------------------------------------

    def _records(
        self, name: str, params: dict[str, str], since: dt.datetime | None, access: Access
    ) -> httpx.Response:
        module = self.org.modules.get(name)
        if module is None:
            return _error(
                400, "INVALID_MODULE", "the module name given seems to be invalid", {"module": name}
            )
        if not self._module_scope(access, name):
            return self._scope_error()
        if name in ADMIN_ONLY and self.token_user(access)["profile"]["name"] != "Administrator":
            return _error(403, "NOT_SUPPORTED", "The given module is not supported for the user")
        if "page" in params and "page_token" in params:
            return _error(
                400, "AMBIGUITY_DURING_PROCESSING", "page and page_token cannot be sent together"
            )
        names = [n for n in params.get("fields", "").split(",") if n]
        if not names:
            return _error(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                {"param_name": "fields", "param": "fields"},
            )
        if len(names) > 50:
            return _error(400, "LIMIT_EXCEEDED", "Fields limit exceeded", {"limit": 50})
        known = module.field_names | SYSTEM_KEYS | {"id"}
        unknown = [n for n in names if n not in known]
        if unknown:
            return _error(400, "INVALID_DATA", "invalid field", {"api_name": unknown[0]})
        per_page = self._per_page(params)
        if isinstance(per_page, httpx.Response):
            return per_page
        if "ids" in params:
            ids = [i for i in params["ids"].split(",") if i]
            if len(ids) > 100:
                return _error(400, "LIMIT_EXCEEDED", "ids limit exceeded", {"limit": 100})
            rows = [module.records[i] for i in ids if i in module.records]
            if not rows:
                return httpx.Response(204)
            return self._page(
                rows,
                names,
                {"per_page": per_page, "count": len(rows), "page": 1, "more_records": False},
            )
        sort_by = params.get("sort_by", "id")
        order = params.get("sort_order", "desc")
        if sort_by not in ("id", "Created_Time", "Modified_Time") or order not in ("asc", "desc"):
            return _error(
                400, "INVALID_DATA", "invalid sort_by or sort_order", {"param_name": "sort_by"}
            )
        keys = self._keys(module, sort_by, since)  # ascending (value, id)
        if not keys:
            return httpx.Response(304 if since is not None and module.records else 204)
        binding = hashlib.sha256(
            json.dumps(
                [sorted((k, v) for k, v in params.items() if k != "page_token"), str(since)]
            ).encode()
        ).hexdigest()
        token_text = params.get("page_token")
        now = self.org.now()
        if token_text:
            token = self.page_tokens.get(token_text)
            if token is None:
                return _error(
                    400,
                    "INVALID_DATA",
                    "The token given seems to be invalid",
                    {"param_name": "page_token"},
                )
            if now - token.issued > PAGE_TOKEN_LIFETIME:
                return _error(
                    400, "EXPIRED_VALUE", "The page token has expired", {"param_name": "page_token"}
                )
            if token.binding != binding:
                return _error(
                    400,
                    "TOKEN_BOUND_DATA_MISMATCH",
                    "The parameters do not match the page token",
                    {"param_name": "page_token"},
                )
            if token.served >= self.page_token_limit:
                return _error(
                    400,
                    "PAGINATION_LIMIT_EXCEEDED",
                    f"You can get only {self.page_token_limit} records with page_token",
                    {"limit": self.page_token_limit},
                )
            served, page = token.served, token.page + 1
            if order == "asc":
                start = bisect.bisect_right(keys, token.last_key)
                chunk = keys[start : start + per_page]
                remaining = len(keys) - start - len(chunk)
            else:
                end = bisect.bisect_left(keys, token.last_key)
                chunk = keys[max(0, end - per_page) : end][::-1]
                remaining = max(0, end - per_page)
        else:
            page = int(params.get("page", "1"))
            start = (page - 1) * per_page
            if start >= DISCRETE_LIMIT:
                return _error(
                    400,
                    "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                    f"You can only get the first {DISCRETE_LIMIT} records without using "
                    "page_token param",
                    {"limit": DISCRETE_LIMIT},
                )
            served = start
            ordered = keys if order == "asc" else keys[::-1]
            chunk = ordered[start : start + per_page]
            remaining = len(keys) - start - len(chunk)
        if not chunk:
            return httpx.Response(204)
        more = remaining > 0
        info: dict[str, Any] = {
            "call": False,
            "per_page": per_page,
            "count": len(chunk),
            "page": page,
            "sort_by": sort_by,
            "sort_order": order,
            "more_records": more,
            "next_page_token": None,
            "previous_page_token": None,
            "page_token_expiry": None,
            "email": False,
        }
        if more:
            text = secrets.token_hex(12)
            self.page_tokens[text] = PageToken(binding, chunk[-1], served + len(chunk), now, page)
            info["next_page_token"] = text
            info["page_token_expiry"] = self._out(now + PAGE_TOKEN_LIFETIME)
        return self._page([module.records[rid] for _, rid in chunk], names, info)

    def _keys(self, module: Any, sort_by: str, since: dt.datetime | None) -> list[tuple[Any, str]]:
        if sort_by == "Modified_Time":
            order = module.by_modified()
            if since is None:
                return order
            return order[bisect.bisect_right(order, (since, "\uffff")) :]
        rows = module.records.values()
        if since is not None:
            rows = [r for r in rows if r["Modified_Time"] > since]
        if sort_by == "id":
            return sorted((int(r["id"]), r["id"]) for r in rows)
        return sorted((r[sort_by], r["id"]) for r in rows)

    def _page(
        self, rows: list[dict[str, Any]], names: list[str], info: dict[str, Any]
    ) -> httpx.Response:
        """A page of records, each rendered once per field list and version (the
        benchmarks measure the adapter, not the fake's JSON encoding)."""
        out, key, cache = self._out, tuple(names), self._rendered
        parts = []
        for r in rows:
            version = (r["id"], key)
            hit = cache.get(version)
            if hit is None or hit[0] is not r:
                text = json.dumps(
                    {"id": r["id"], **{n: out(r.get(n)) for n in names}}, default=_plain
                )
                hit = cache[version] = (r, text)
            parts.append(hit[1])
        body = '{"data":[' + ",".join(parts) + '],"info":' + json.dumps(info) + "}"
        return httpx.Response(
            200, content=body.encode(), headers={"Content-Type": "application/json;charset=UTF-8"}
        )
