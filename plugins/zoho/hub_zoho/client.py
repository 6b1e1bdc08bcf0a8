"""The Zoho CRM API over httpx: auth header, concurrency cap, retries, errors.

Every answer is sorted into one outcome, by HTTP status and Zoho's `code`:

- 200/201/202: the JSON body (floats read as Decimal);
- 204, 304: "nothing" (an empty module, nothing modified since);
- 429 TOO_MANY_REQUESTS, 5xx, timeouts, lost connections: retried with
  backoff; a 429 that outlasts the retries, or says no credits remain, is
  `QuotaExhausted`; a 429 also cuts the requests in flight (the hub's
  `InFlightLimit`: the org's edition may allow fewer than configured, and
  other apps share it), which grow back slowly and are remembered for the
  next run;
- 401 INVALID_TOKEN / AUTHENTICATION_FAILURE: a new token is minted and the
  call repeated; a new token refused before it ever worked is `AuthError`;
- 401 OAUTH_SCOPE_MISMATCH, 403: `AuthError` naming the scope or permission;
- 400 INVALID_MODULE, INVALID_HOST, 404: `ConfigError`;
- other 4xx: `ZohoApiError` with Zoho's code and message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import msgspec

from hub.adapters import sharedstate
from hub.adapters.http import RetryPolicy, Transient, retry_after_seconds
from hub.adapters.pacing import InFlightLimit, LimitMemory
from hub.adapters.tokens import TokenStore, token_key
from hub.errors import AuthError, ConfigError, QuotaExhausted, SourceDataError, SourceUnreachable
from hub_zoho.auth import ZohoAuth, not_zoho
from hub_zoho.settings import ZohoSettings

API = "/crm/v8"

CREDITS_PAUSE_SECONDS = 600.0
"""Once Zoho said the org's credits are used up, the hub's other workers send nothing for
this long (Zoho's window rolls over 24 hours, so credits come back bit by bit; the next
scheduled run after the pause asks again), and a reported balance counts this long."""

STANDARD_MODULES = {"Accounts", "Contacts", "Calls", "Tasks", "Events", "Notes", "Deals", "Leads"}

_REFRESHABLE = {"INVALID_TOKEN", "AUTHENTICATION_FAILURE", "INVALID_OAUTHTOKEN"}
TOKEN_ATTEMPTS = 4
"""Tokens one request may try: the first one refused is replaced; so is a later one
once the API has accepted some token of the connection (a refusal is then an expiry
racing other threads, not wrong credentials or a wrong data centre). Deciding this
per connection rather than per token keeps a thread from calling a fresh token
"never worked" while another thread's success with it is still on its way back.
Four, not two: while many threads share a token, one request can be the one that
meets several expiries (or displacements by other apps' mints) in a row."""


def check_retry(policy: RetryPolicy) -> RetryPolicy:
    """The backoff of `hub check`: one clear answer within seconds. A refused connection or
    a dead host does not heal in the minute a sync may wait for it."""
    return replace(
        policy,
        attempts=min(policy.attempts, 3),
        initial_wait=min(policy.initial_wait, 0.5),
        max_wait=min(policy.max_wait, 1.0),
    )


class ZohoApiError(SourceDataError):
    """Zoho refused a request for a reason that retrying does not fix."""

    def __init__(
        self, where: str, status: int, code: str, message: str, details: Any = None
    ) -> None:
        text = f"{where}: HTTP {status} {code}".rstrip()
        if message:
            text += f": {message}"
        if details:
            text += f" {json.dumps(details, default=str)[:200]}"
        super().__init__(text)
        self.status = status
        self.code = code
        self.details = details


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any] | None
    """The JSON body; None for 204 No Content and 304 Not Modified."""

    @property
    def empty(self) -> bool:
        return self.body is None


def required_scope(path: str) -> str:
    """The OAuth scope a path needs, for error messages."""
    parts = path.removeprefix(API).strip("/").split("/")
    head = parts[0]
    if head == "users":
        return "ZohoCRM.users.READ"
    if head == "settings":
        return f"ZohoCRM.settings.{parts[1] if len(parts) > 1 else 'ALL'}.READ"
    if head in STANDARD_MODULES:
        return f"ZohoCRM.modules.{head.lower()}.READ (or ZohoCRM.modules.READ)"
    return "ZohoCRM.modules.custom.READ (or ZohoCRM.modules.READ)"


_decoder = msgspec.json.Decoder(float_hook=Decimal)
"""msgspec: 3-4x faster than `json` on Zoho's pages, and unlike orjson it hands
over a JSON number's text, so amounts stay exact Decimals."""


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = _decoder.decode(response.content)
    except msgspec.DecodeError:
        # What msgspec refuses and `json` reads (NaN, a BOM, lone surrogates): read as before.
        try:
            data = json.loads(response.content, parse_float=Decimal)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
    return data if isinstance(data, dict) else {}


def _code(body: Mapping[str, Any]) -> str:
    code = body.get("code")
    if isinstance(code, str):
        return code
    return str(body.get("error") or code or "")


class ZohoClient:
    """GET requests to the CRM API of one connection, safe to share across threads."""

    def __init__(
        self,
        settings: ZohoSettings,
        log: logging.Logger,
        transport: httpx.BaseTransport | None = None,
        *,
        tokens: TokenStore | None = None,
        limits: LimitMemory | None = None,
        name: str = "zoho",
    ) -> None:
        """`tokens` keeps access tokens for later runs and `limits` the in-flight limit
        learned (both: nothing kept when None); `name` is the connection's, for logs."""
        self.settings = settings
        self.log = log
        timeout = httpx.Timeout(
            settings.timeout_seconds, connect=min(10.0, settings.timeout_seconds)
        )
        pool = settings.max_concurrency + 2
        self.http = httpx.Client(
            timeout=timeout,
            limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool),
            headers={"User-Agent": "hub-zoho/0.1", "Accept": "application/json"},
            transport=transport,
        )
        self.retry = RetryPolicy(
            attempts=settings.retry.attempts,
            initial_wait=settings.retry.initial_wait,
            max_wait=settings.retry.max_wait,
        )
        self.auth = ZohoAuth(settings, self.http, self.retry, log, tokens)
        self.limit = InFlightLimit(
            settings.max_concurrency,
            name=name,
            memory=limits,
            key=token_key("zoho-concurrency", settings.token_server, settings.client_id),
            log=log,
        )
        """Requests in flight, for the whole adapter: every stream, module and span
        thread sends through this one client. Held only while a request is on the
        wire, not while a retry waits. Zoho counts concurrency per org and app."""
        # a shared slot outlives the slowest request (connect, send, read: one
        # timeout each), so it is never taken for a dead worker's while in use
        self.limit.slot_lease_seconds = max(
            sharedstate.SLOT_LEASE_SECONDS, 3 * settings.timeout_seconds + 30
        )
        self.limit.load()
        self.credits_key = token_key("zoho-credits", settings.token_server, settings.client_id)
        """The org's daily credits, as every worker of the installation knows them."""
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        """Requests sent, by path (retries included)."""
        self.credits_remaining: int | None = None
        self.clock_skew: float | None = None
        """Seconds Zoho's clock is ahead of ours (negative: behind), from the Date
        header of its last answer; None until one came."""

    def use_retry(self, policy: RetryPolicy) -> None:
        """Retry API and token requests with `policy` from now on."""
        self.retry = policy
        self.auth.retry = policy

    def close(self) -> None:
        self.limit.save()
        self.http.close()

    @property
    def api_domain(self) -> str:
        self.auth.token()  # the first token names the domain
        assert self.auth.api_domain is not None
        return self.auth.api_domain

    # -- requests ------------------------------------------------------------------------

    def get(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        since: str | None = None,
    ) -> Answer:
        """GET `path` (below the API domain). `since` is sent as If-Modified-Since."""
        headers = {"If-Modified-Since": since} if since else {}
        for attempt in range(TOKEN_ATTEMPTS):
            token = self.auth.token()
            response = self._send(path, params, headers, token)
            refused = response.status_code == 401 and _code(_json(response)) in _REFRESHABLE
            if not refused:
                if response.status_code < 400:
                    self.auth.accepted()
                break
            if attempt and not self.auth.proven:
                break  # no token ever worked: not an expiry, an auth failure
            self.log.info("Zoho refused the access token on %s; minting a new one", path)
            self.auth.refused(token, f"GET {path}: {_code(_json(response)) or 401}")
        return self._answer(path, response, params or {})

    def post(self, path: str, body: Mapping[str, Any]) -> Answer:
        """POST a JSON body (inserts). A refused token is replaced as for `get`;
        429 and 5xx are retried like reads, which is safe only for writes the
        vendor refuses to duplicate (the actions' unique key field)."""
        for attempt in range(TOKEN_ATTEMPTS):
            token = self.auth.token()
            response = self._send(path, None, {}, token, body=body)
            refused = response.status_code == 401 and _code(_json(response)) in _REFRESHABLE
            if not refused:
                if response.status_code < 400:
                    self.auth.accepted()
                break
            if attempt and not self.auth.proven:
                break
            self.auth.refused(token, f"POST {path}: {_code(_json(response)) or 401}")
        if response.status_code == 400 and isinstance(_json(response).get("data"), list):
            return Answer(400, _json(response))  # every record refused: the items say why
        return self._answer(path, response, {})

    def _send(
        self,
        path: str,
        params: Mapping[str, Any] | None,
        headers: dict[str, str],
        token: str,
        body: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        throttled = False

        def attempt() -> httpx.Response:
            nonlocal throttled
            url = self.api_domain + path
            shared = sharedstate.current()
            if shared is not None:
                spent = shared.credits.take(self.credits_key, 2 if path.endswith("/deleted") else 1)
                if spent:
                    raise QuotaExhausted(
                        f"GET {path}: not sent: {spent}; the sync stopped with its state "
                        "saved and resumes on the next run"
                    )
            with self.limit.slot() as ticket:
                with self._lock:
                    self.calls[path] += 1
                response = self.http.request(
                    "GET" if body is None else "POST",
                    url,
                    params=params,
                    json=body,
                    headers={**headers, "Authorization": f"Zoho-oauthtoken {token}"},
                )
            self._note_credits(response, shared)
            self._note_clock(response)
            foreign = not_zoho(response)
            if foreign:
                raise ConfigError(
                    f"{'GET' if body is None else 'POST'} {path}: {self.api_domain} answered "
                    f"{foreign}, which is not "
                    "Zoho's API gateway: leave api_domain unset (the token answer names the "
                    "right one) or correct it"
                )
            throttled = response.status_code == 429
            if not throttled and response.status_code < 500:
                self.limit.on_success()
            if throttled:
                if self._credits_gone(response):
                    if shared is not None:
                        shared.credits.exhaust(
                            self.credits_key,
                            time.time() + CREDITS_PAUSE_SECONDS,
                            "another worker met Zoho's answer that the org's API credits for "
                            "the rolling 24 hours are used up",
                        )
                    raise QuotaExhausted(
                        f"GET {path}: Zoho says the org's API credits for the rolling 24 "
                        "hours are used up (429 TOO_MANY_REQUESTS); the sync stopped with "
                        "its state saved and resumes on the next run"
                    )
                self.limit.on_throttle(ticket)
                raise Transient("429 TOO_MANY_REQUESTS", retry_after_seconds(response))
            if response.status_code >= 500:
                code = _code(_json(response))
                raise Transient(
                    f"HTTP {response.status_code} {code}".rstrip(), retry_after_seconds(response)
                )
            return response

        try:
            return self.retry.call(attempt, what=f"GET {path}")
        except SourceUnreachable:
            if throttled:
                raise QuotaExhausted(
                    f"GET {path}: Zoho still answered 429 TOO_MANY_REQUESTS after "
                    f"{self.retry.attempts} attempts: the org's API credits for the rolling 24 "
                    "hours are probably used up (or other apps take all its concurrency); the "
                    "sync stopped with its state saved and resumes on the next run"
                ) from None
            raise

    def _note_credits(
        self, response: httpx.Response, shared: sharedstate.SharedState | None = None
    ) -> None:
        remaining = response.headers.get("X-API-CREDITS-REMAINING")
        if remaining is not None and remaining.strip().lstrip("-").isdigit():
            self.credits_remaining = int(remaining)
            if shared is not None and self.credits_remaining > 0:
                shared.credits.note(
                    self.credits_key, self.credits_remaining, time.time() + CREDITS_PAUSE_SECONDS
                )

    def _note_clock(self, response: httpx.Response) -> None:
        value = response.headers.get("Date")
        if not value:
            return
        try:
            theirs = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return
        if theirs.tzinfo is not None:
            self.clock_skew = theirs.timestamp() - time.time()

    def vendor_time(self, ours: dt.datetime) -> dt.datetime:
        """`ours` (a moment on the hub's clock) on Zoho's clock, as far as it is known."""
        return ours + dt.timedelta(seconds=self.clock_skew or 0.0)

    def _credits_gone(self, response: httpx.Response) -> bool:
        if self.credits_remaining is not None and self.credits_remaining <= 0:
            return True
        body = _json(response)
        info = str(body.get("error_info") or "")
        return "24 hours" in info  # an older 429 shape that names the daily limit

    def _answer(self, path: str, response: httpx.Response, params: Mapping[str, Any]) -> Answer:
        status = response.status_code
        if status in (204, 304):
            return Answer(status, None)
        body = _json(response)
        if status in (200, 201, 202):
            if not response.content.strip():
                return Answer(204, None)
            return Answer(status, body)
        raise self._error(path, status, body, params)

    def _error(
        self, path: str, status: int, body: Mapping[str, Any], params: Mapping[str, Any]
    ) -> Exception:
        code = _code(body)
        message = str(body.get("message") or body.get("error_description") or "")
        where = f"GET {path}"
        if status == 401 and code == "OAUTH_SCOPE_MISMATCH":
            return AuthError(
                f"{where}: the access token lacks the scope {required_scope(path)} "
                "(OAUTH_SCOPE_MISMATCH): add it to the self client's scopes and generate a "
                "new refresh token"
            )
        if status == 401:
            return AuthError(
                f"{where}: {self.auth.api_domain} refused a freshly minted token ({code or 401}): "
                "the API domain may belong to another data centre than the token "
                f"(the token server {self.auth.server} named {self.auth.minted_domain}), "
                "or the refresh token was revoked"
            )
        if status == 403 and code == "NOT_SUPPORTED" and path.endswith("/Notes"):
            return AuthError(
                f"{where}: only Zoho administrators may list Notes (NOT_SUPPORTED): use an "
                "administrator's refresh token, or leave Notes out of `activities`"
            )
        if status == 403:
            return AuthError(
                f"{where}: the Zoho user behind the refresh token lacks permission "
                f"({code or 403}){': ' + message if message else ''}"
            )
        if code == "INVALID_MODULE":
            module = params.get("module") or path.removeprefix(API).strip("/").split("/")[0]
            return ConfigError(
                f"{where}: Zoho has no API-supported module {module!r} (INVALID_MODULE): use "
                "the module's API name, shown under Setup > Developer Hub > APIs"
            )
        if code in ("INVALID_HOST", "INVALID_URL_PATTERN") or status == 404:
            return ConfigError(
                f"{where}: {self.auth.api_domain} is not a Zoho CRM API domain ({code or status}); "
                "leave api_domain unset to use the one the token answer names"
            )
        return ZohoApiError(where, status, code, message, body.get("details"))
