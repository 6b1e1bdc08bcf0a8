"""The Fxiaoke OpenAPI client: tokens, pacing, retries and the error envelope.

Every call is a JSON POST that answers HTTP 200; the outcome is in the body's
`errorCode`, which `hub_fxiaoke.errors` maps to an action. Two auth flows:

- corp_access_token: `/cgi/corpAccessToken/get/V2` → corpAccessToken + corpId,
  sent at the top of every body together with `currentOpenUserId`;
- oauth: `/oauth2.0/token` (grantType app_secret) → accessToken + ea, sent
  as `authorization: Bearer`, `x-fs-ea` and `x-fs-userid` headers.

Tokens live 7200 s and the endpoint hands out the same token for the first
6600 s, so one is reused until 600 s before it expires, minted by one caller
at a time (the hub's `TokenCache`) and at most 10 times a minute. A token
refused mid-run (20016) is replaced; a call tries at most `TOKEN_ATTEMPTS`
tokens, and one its own thread minted that is refused at once stops the run
with an AuthError. Transient answers are retried by the hub's `RetryPolicy`;
what stays here is Fxiaoke's own: the errorCode envelope, the two token
flows and the per-interface pacing (`hub_fxiaoke.ratelimit`), which learns a
tenant's tighter window from its 30004 answers.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from hub import secrets
from hub.adapters import sharedstate
from hub.adapters.http import RetryPolicy, Transient, retry_after_seconds
from hub.adapters.pacing import AdaptiveLimit, LimitMemory, NoLimitMemory
from hub.adapters.tokens import NoTokenStore, Token, TokenCache, TokenStore, token_key
from hub.errors import (
    AuthError,
    ConfigError,
    HubError,
    QuotaExhausted,
    SourceDataError,
    SourceError,
)
from hub_fxiaoke import clock as clocks
from hub_fxiaoke import ratelimit
from hub_fxiaoke.errors import Action, classify
from hub_fxiaoke.ratelimit import SlidingWindow, Windows
from hub_fxiaoke.settings import FxiaokeSettings

LEGACY_TOKEN_PATH = "/cgi/corpAccessToken/get/V2"
OAUTH_TOKEN_PATH = "/oauth2.0/token"
TOKEN_PATHS = (LEGACY_TOKEN_PATH, OAUTH_TOKEN_PATH)
TOKEN_MARGIN = 600.0
"""Refresh this long before expiry: the endpoint issues a new token only in
the last 600 s of the old one's 7200 s."""
TOKEN_CALLS_PER_MINUTE = 10
TOKEN_ATTEMPTS = 3
"""Tokens one call may try: a token reused from an earlier run, one another thread
minted that expired meanwhile, and one this thread mints."""
SHANGHAI = ZoneInfo("Asia/Shanghai")
RATE_WINDOW = 20.0
"""Fxiaoke counts `calls_per_20s` calls per interface in any 20 s (documented;
`rate_window_seconds` for a tenant counted otherwise)."""
THROTTLE_CODES = frozenset({30004, 14001})
"""Frequency and call-limit answers: they lower the pace, then are retried."""


class TokenRefused(Exception):
    """A business call answered 20016: the token must be replaced."""


class Throttled(Transient):
    """30004 / 14001 on a business call: the tenant counts tighter than the pacing."""


class FxiaokeRequestError(SourceDataError):
    """Fxiaoke refused a request the adapter made (exit code 1)."""


def default_retry(clock: clocks.Clock) -> RetryPolicy:
    """Back off from 1 s up to 20 s (one rate-limit window: waiting longer
    never helps), 8 attempts in all, sleeping on `clock`."""
    return RetryPolicy(attempts=8, initial_wait=1.0, max_wait=RATE_WINDOW, sleep=clock.sleep)


class FxiaokeClient:
    """One tenant's OpenAPI, safe to share between threads: they draw on
    one token and one rate-limit window per interface."""

    def __init__(
        self,
        settings: FxiaokeSettings,
        *,
        clock: clocks.Clock | None = None,
        logger: logging.Logger | None = None,
        retry: RetryPolicy | None = None,
        tokens: TokenStore | None = None,
        limits: LimitMemory | None = None,
        windows: Windows | None = None,
    ) -> None:
        """`limits` remembers the pace learned for the next run (`.hub/limits/`);
        `windows` are the process's (another one only to play another program)."""
        self.settings = settings
        self.clock = clock or clocks.default
        self.log = logger or logging.getLogger("hub.adapters.fxiaoke")
        self.retry = retry or default_retry(self.clock)
        self.http = httpx.Client(
            base_url=settings.base_url,
            timeout=httpx.Timeout(
                settings.timeout_seconds, connect=min(10.0, settings.timeout_seconds)
            ),
            follow_redirects=False,
            headers={"Content-Type": "application/json", "User-Agent": "hub-fxiaoke/0.1"},
        )
        secret = settings.app_secret.get_secret_value()
        code = settings.permanent_code.get_secret_value()
        self.tokens = TokenCache(
            self._mint,
            tokens or NoTokenStore(),
            token_key("fxiaoke", settings.base_url, settings.auth, settings.app_id, secret, code),
            margin=TOKEN_MARGIN,
            clock=self.clock.time,
            log=self.log,
        )
        """The access token: reused until 600 s before expiry, by this run and
        the runs after it (`.hub/tokens/`), minted by one thread at a time."""
        self._memory = limits or NoLimitMemory()
        self._windows = windows or ratelimit.process_windows
        self._minted_by: dict[str, int] = {}
        """Token → the thread that minted it (see `post`)."""
        self._refused: HubError | None = None
        """Why the token call was refused, once it was: the credentials will not
        get better within this run, so threads waiting for a token give up
        at once instead of asking again."""
        self._limiters: dict[str, SlidingWindow] = {}
        self._window_keys: dict[str, str] = {}
        """Interface path -> the key of its window (a digest: no secret in it)."""
        self._lock = threading.Lock()
        self.calls: dict[str, int] = {}
        """Requests sent per path (retries included), for tests and benchmarks."""
        self.quota_key = token_key("fxiaoke-quota", settings.base_url, settings.app_id, code)
        """The tenant's daily call quota, as every worker of the installation knows it."""
        secrets.register([secret, code])

    def close(self) -> None:
        """Remember the pace each interface settled on, for the next run."""
        for window in list(self._limiters.values()):
            if window.limit is not None:
                window.limit.save(self._memory)
        self.http.close()

    @property
    def tenant(self) -> str | None:
        """corpId (corp_access_token flow) or ea (oauth flow), minted with the token."""
        token = self.tokens.current
        return token.details.get("tenant") if token else None

    # -- tokens ------------------------------------------------------------------

    def _mint(self) -> Token:
        """A token call (TokenCache calls it under its lock)."""
        if self._refused is not None:
            raise type(self._refused)(str(self._refused))
        try:
            value, tenant, lifetime = self._token_call()
        except (AuthError, ConfigError) as exc:
            self._refused = exc
            raise
        self._minted_by[value] = threading.get_ident()
        return Token(value, self.clock.time() + lifetime, {"tenant": tenant})

    def _token_call(self) -> tuple[str, str, float]:
        s = self.settings
        credentials = {
            "appId": s.app_id,
            "appSecret": s.app_secret.get_secret_value(),
            "permanentCode": s.permanent_code.get_secret_value(),
        }
        if s.auth == "oauth":
            body = self._send(OAUTH_TOKEN_PATH, {**credentials, "grantType": "app_secret"}, {})
            value, tenant = body.get("accessToken"), body.get("ea")
        else:
            body = self._send(LEGACY_TOKEN_PATH, credentials, {})
            value, tenant = body.get("corpAccessToken"), body.get("corpId")
        if not value or not tenant:
            raise SourceError(f"Fxiaoke {self._token_path}: answer without a token")
        secrets.register([str(value)])
        return str(value), str(tenant), float(body.get("expiresIn") or 7200)

    @property
    def _token_path(self) -> str:
        return OAUTH_TOKEN_PATH if self.settings.auth == "oauth" else LEGACY_TOKEN_PATH

    # -- business calls --------------------------------------------------------------

    def post(self, path: str, payload: dict[str, Any], *, retry: bool = True) -> dict[str, Any]:
        """An authenticated call; the body as Fxiaoke answered it (errorCode 0).
        `retry=False` sends once (a create must not be repeated blindly): a
        transient failure is raised as `Transient` or an httpx transport error."""
        for attempt in range(TOKEN_ATTEMPTS):
            token = self.tokens.get()
            secrets.register([token.value])  # also a token reused from an earlier run
            try:
                return self._send(path, *self._authenticate(token, payload), retry=retry)
            except TokenRefused:
                self.tokens.invalidate(token.value)
            # A token this thread minted for the retry, refused at once, is not an
            # expiry: the credentials do not belong together. One another thread
            # minted may have expired since (or been refused for this very reason,
            # and this thread's own mint tells).
            mine = self._minted_by.get(token.value) == threading.get_ident()
            if attempt > 0 and (mine or attempt == TOKEN_ATTEMPTS - 1):
                raise AuthError(
                    f"Fxiaoke {path}: a freshly minted access token was refused (errorCode "
                    "20016); check that app_id, the enterprise and operator_user_id belong "
                    "together"
                ) from None
            self.log.info("Fxiaoke refused the access token (20016); minting a new one")
        raise AssertionError("unreachable")

    def _authenticate(
        self, token: Token, payload: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, str]]:
        op = self.settings.operator_user_id
        tenant, value = token.details.get("tenant", ""), token.value
        if self.settings.auth == "oauth":
            headers = {"authorization": f"Bearer {value}", "x-fs-ea": tenant, "x-fs-userid": op}
            return payload, headers
        body = {"corpAccessToken": value, "corpId": tenant, "currentOpenUserId": op, **payload}
        return body, {}

    # -- one request, paced and retried --------------------------------------------------

    def limiter(self, path: str) -> SlidingWindow:
        """The rate-limit window of one interface, shared by every thread and by
        every client of the process for the same gateway and app (`hub check` and
        a `hub sync` after it count in one window, as Fxiaoke counts them)."""
        with self._lock:
            if path not in self._limiters:
                s = self.settings
                token_call = path in TOKEN_PATHS
                calls = TOKEN_CALLS_PER_MINUTE if token_call else s.calls_per_20s
                seconds = 60.0 if token_call else s.rate_window_seconds
                key = token_key("fxiaoke-rate", s.base_url, s.app_id, path, f"{seconds:g}")
                self._window_keys[path] = str(key)
                adaptive = None if token_call else self._adaptive_limit(path, key, calls, seconds)
                self._limiters[path] = self._windows.get(
                    key, path, calls, seconds, self.clock, adaptive
                )
            return self._limiters[path]

    def _take_shared_window(
        self, shared: sharedstate.SharedState, path: str, window: SlidingWindow
    ) -> None:
        """Count the call in the interface's window across processes (the engine's
        workers on several hosts share one tenant's 100 calls per 20 s): one slot per
        call, kept for the window's length, so the slots held are the calls sent in
        the last window; wait while they fill it."""
        allowed = window.limit.value if window.limit is not None else window.calls
        slots = shared.slots(f"fxiaoke-window:{self._window_keys[path]}", window.window)
        sharedstate.acquire(slots, allowed)

    def _adaptive_limit(
        self, path: str, key: str, calls: int, seconds: float
    ) -> Callable[[], AdaptiveLimit]:
        """How a new window's number of calls adapts: halved by a throttled answer
        (once per burst), one more after a long run of answered calls; it starts
        where an earlier run settled. Never below a tenth of the configured calls:
        another program's burst also answers 30004, and growing back from 1 call
        per window would take hours."""

        def make() -> AdaptiveLimit:
            limit = AdaptiveLimit(
                calls,
                floor=max(1, calls // 10),
                name=f"Fxiaoke {path}",
                unit=f"calls per {seconds:g} s",
                key=key,
                log=self.log,
            )
            limit.load(self._memory)
            return limit

        return make

    def _send(
        self, path: str, body: dict[str, Any], headers: dict[str, str], retry: bool = True
    ) -> dict[str, Any]:
        """One call, retried by the hub's RetryPolicy while the answer is transient."""
        if not retry:
            return self._attempt(path, body, headers)
        return self.retry.call(
            lambda: self._attempt(path, body, headers), f"Fxiaoke {self.settings.base_url}{path}"
        )

    def _attempt(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        shared = None if path in TOKEN_PATHS else sharedstate.current()
        if shared is not None:
            spent = shared.credits.take(self.quota_key)
            if spent:
                raise QuotaExhausted(
                    f"Fxiaoke {path}: not sent: {spent}; the sync stopped with its state saved "
                    "and the next run continues from here"
                )
        window = self.limiter(path)
        slot = window.acquire()
        limit = window.limit
        if shared is not None:
            self._take_shared_window(shared, path, window)
        ticket = limit.ticket if limit is not None else 0  # the pace this call was sent at
        with self._lock:
            self.calls[path] = self.calls.get(path, 0) + 1
        try:
            response = self.http.post(
                path, params={"thirdTraceId": str(uuid.uuid4())}, json=body, headers=headers
            )
            answer = self._read_envelope(path, response)
        except Throttled as exc:
            if limit is not None:  # the tenant allows fewer than the window held
                limit.on_throttle(ticket, seen=slot.in_window)
            self.log.warning("Fxiaoke %s: %s", path, secrets.redact(_describe(exc)))
            raise
        except QuotaExhausted:
            if shared is not None:
                shared.credits.exhaust(
                    self.quota_key,
                    next_quota_reset(time.time()),
                    "another worker met Fxiaoke's answer that the tenant's daily call quota "
                    "is exhausted (30002); it resets at 00:00 Asia/Shanghai",
                )
            raise
        except (Transient, httpx.TransportError) as exc:
            # RetryPolicy has no hook to report a retry: say it here.
            self.log.warning("Fxiaoke %s: %s", path, secrets.redact(_describe(exc)))
            raise
        if limit is not None:
            limit.on_success()
        return answer

    def _read_envelope(self, path: str, response: httpx.Response) -> dict[str, Any]:
        where = f"Fxiaoke {path}"
        status = response.status_code
        html = "html" in response.headers.get("content-type", "").lower()
        if status == 501 or (html and status not in (429, 502, 503, 504)):
            # A web server, not the gateway (which answers JSON, HTTP 200): retrying
            # for minutes would not change that.
            raise ConfigError(
                f"{where}: {self.settings.base_url} answered "
                f"{'an HTML page' if html else 'Not Implemented'} (HTTP {status}); it is not "
                "the Fxiaoke OpenAPI gateway — use your cloud's open-… host (see `cloud` / `host`)"
            )
        if status == 429 or status >= 500:
            raise Transient(f"HTTP {status}", retry_after=retry_after_seconds(response))
        if 300 <= status < 400:
            raise ConfigError(
                f"{where}: {self.settings.base_url} answered a redirect (HTTP {status}); it is not "
                "an OpenAPI gateway — use your cloud's open-… host (see `cloud` / `host`)"
            )
        if status != 200:
            raise SourceError(f"{where}: HTTP {status} from {self.settings.base_url}")
        try:
            body = response.json()
        except ValueError:
            raise Transient("the answer is not JSON") from None
        if not isinstance(body, dict) or "errorCode" not in body:
            raise SourceError(f"{where}: the answer has no errorCode; is `host` right?")
        code = body.get("errorCode")
        if code == 0:
            return body
        try:
            code = int(code)
        except (TypeError, ValueError):
            raise SourceError(f"{where}: unreadable errorCode {code!r}") from None
        self._raise_for(path, code, body)
        raise AssertionError("unreachable")

    def _raise_for(self, path: str, code: int, body: dict[str, Any]) -> None:
        action, meaning = classify(code, token_endpoint=path in TOKEN_PATHS)
        said = str(body.get("errorMessage") or "")[:120]
        trace = body.get("traceId")
        detail = f"errorCode {code} on {path}" + (f", traceId {trace}" if trace else "")
        if said:
            detail += f"; Fxiaoke said: {said}"
        detail = secrets.redact(detail)
        if action is Action.RETRY:
            if code in THROTTLE_CODES and path not in TOKEN_PATHS:
                raise Throttled(f"{meaning} ({detail})")
            raise Transient(f"{meaning} ({detail})")
        if action is Action.REFRESH:
            if path in TOKEN_PATHS:
                raise AuthError(f"Fxiaoke refused the token request: {meaning} ({detail})")
            raise TokenRefused(detail)
        if action is Action.QUOTA:
            raise QuotaExhausted(
                f"Fxiaoke: {meaning} ({detail}); it resets at 00:00 Asia/Shanghai — "
                "the sync stopped with its state saved and the next run continues from here"
            )
        if action is Action.CREDENTIALS:
            raise AuthError(
                f"Fxiaoke refused the app credentials: {meaning} ({detail}); check app_id, "
                "app_secret and permanent_code in hub.toml"
            )
        if action is Action.PERMISSION:
            raise AuthError(
                f"Fxiaoke denied permission: {meaning} ({detail}); an admin must grant it in "
                "the Fxiaoke console (app authorisation, visibility, data permissions)"
            )
        if action is Action.NO_QUOTA:
            raise SourceError(
                f"Fxiaoke: {meaning} ({detail}); buy an 'Open API' call pack for the tenant"
            )
        if action is Action.OPERATOR:
            raise ConfigError(
                f"Fxiaoke: {meaning} ({detail}): fix operator_user_id "
                f"({self.settings.operator_user_id!r})"
            )
        raise FxiaokeRequestError(f"Fxiaoke refused the request: {meaning} ({detail})")


def next_quota_reset(now: float) -> float:
    """The next 00:00 Asia/Shanghai after `now` (epoch seconds): when the daily quota resets."""
    local = dt.datetime.fromtimestamp(now, SHANGHAI)
    midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), SHANGHAI)
    return midnight.timestamp()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, httpx.TransportError):
        return f"network error ({type(exc).__name__})"
    return str(exc) or type(exc).__name__
