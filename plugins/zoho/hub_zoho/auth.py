"""Zoho OAuth: access tokens minted from a self client's refresh token.

One refresh token may mint only ten access tokens in ten minutes, so a token
is minted once, shared by every thread, reused by the runs that follow (the
hub's `TokenCache`, a 0600 file in `.hub/tokens/`), and replaced only shortly
before it expires (an hour) or when the API refuses it. The token answer also
names the `api_domain` of the account's data centre, which is the host to
call; a reused token brings the domain it was minted for.

Zoho reports token failures as HTTP 200 with an `error` key, and throttling
of the token endpoint as HTTP 400 "Access Denied". Both are final for the
process: the streams read side by side all wait for the same mint, and once
the client or refresh token is refused, or the endpoint throttles, none of
them asks again. On Zoho each throttled request extends the block, so a
throttle is never retried: the run stops (exit code 6 when only the token
quota is spent) and says what made the hub ask for so many tokens.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass

import httpx

from hub import secrets
from hub.adapters.http import RetryPolicy, Transient
from hub.adapters.tokens import NoTokenStore, Token, TokenCache, TokenStore, token_key
from hub.errors import AuthError, ConfigError, QuotaExhausted
from hub_zoho.settings import API_DOMAINS, ZohoSettings

TOKEN_PATH = "/oauth/v2/token"
EXPIRY_MARGIN = 60.0
"""Seconds before expiry at which a token is replaced."""


@dataclass(frozen=True)
class Minted:
    access_token: str
    expires_in: float
    """Seconds the token stays valid."""
    api_domain: str | None
    scope: str | None


class TokenRefused(AuthError):
    """The token server refused the client or the refresh token."""

    def __init__(self, message: str, error: str) -> None:
        super().__init__(message)
        self.error = error


class TokenThrottled(QuotaExhausted):
    """The token server throttles this refresh token (400 Access Denied): every further
    request extends the block, so none is sent until the window has passed."""


THROTTLE_BLOCK_SECONDS = 600
"""Zoho's window: ten tokens per refresh token in ten minutes."""


GATEWAY_HICCUPS = {502, 503, 504}
"""Answers Zoho's own gateways give (often as HTML) while a server is briefly away."""


def not_zoho(response: httpx.Response) -> str | None:
    """What the answer is ("HTTP 501 text/html") when no Zoho server gave it: Zoho answers
    JSON (or nothing, for 204/304), except for a gateway's brief 502/503/504. Such a host
    answers the same however often it is asked, so it is named at once, not retried."""
    status = response.status_code
    kind = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if status == 501:
        return f"HTTP 501 {kind or 'Not Implemented'}".strip()
    if status in GATEWAY_HICCUPS or status in (204, 304) or not response.content.strip():
        return None
    if kind == "application/json" or kind.endswith("+json"):
        return None
    if not kind and response.content.lstrip()[:1] in (b"{", b"["):
        return None
    return f"HTTP {status} {kind or 'without a content type'}"


def _body(response: httpx.Response) -> dict[str, object]:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def mint(
    http: httpx.Client, server: str, client_id: str, client_secret: str, refresh_token: str
) -> Minted:
    """One refresh-token exchange. Raises `Transient` (5xx), `TokenThrottled` or `TokenRefused`."""
    response = http.post(
        server + TOKEN_PATH,
        data={
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        },
    )
    body = _body(response)
    error = str(body.get("error") or "")
    foreign = not_zoho(response)
    if foreign:
        raise ConfigError(
            f"{server} answered the token request with {foreign}, which is not a Zoho "
            "accounts server: check dc or accounts_url"
        )
    if response.status_code >= 500:
        raise Transient(f"token server {server} answered HTTP {response.status_code}")
    if response.status_code == 400 and error == "Access Denied":
        # Too many tokens minted in ten minutes: waiting is the only cure, and asking
        # again makes the wait longer.
        raise TokenThrottled(
            f"token server {server} refuses new access tokens for now (400 Access Denied: "
            "more than ten minted for this refresh token in ten minutes); no more are "
            "requested, since each request extends the block: wait ten minutes"
        )
    if error:
        raise TokenRefused(_refusal(error, server, client_id), error)
    if response.status_code != 200 or not body.get("access_token"):
        raise TokenRefused(
            f"token server {server} answered HTTP {response.status_code} without an access "
            "token: is accounts_url a Zoho accounts server?",
            f"http_{response.status_code}",
        )
    expires_in = float(body.get("expires_in") or 3600)
    if body.get("expires_in_sec"):  # old answers: expires_in in milliseconds
        expires_in = float(body["expires_in_sec"])  # type: ignore[arg-type]
    return Minted(
        access_token=str(body["access_token"]),
        expires_in=expires_in,
        api_domain=str(body["api_domain"]).rstrip("/") if body.get("api_domain") else None,
        scope=str(body["scope"]) if body.get("scope") else None,
    )


def _refusal(error: str, server: str, client_id: str) -> str:
    if error == "invalid_client":
        return (
            f"{server} does not know client id {client_id} (invalid_client): check client_id, "
            "and that `dc` (or accounts_url) is the data centre where the self client was created"
        )
    if error == "invalid_code":
        return (
            f"{server} refused the refresh token (invalid_code): it is wrong, revoked or was "
            "evicted by newer ones; generate a grant code in the API console and exchange it "
            "for a new refresh token"
        )
    if error == "invalid_client_secret":
        return (
            f"{server}: client_secret does not match client id {client_id} (invalid_client_secret)"
        )
    return f"{server} refused to mint an access token ({error})"


def environment_domain(domain: str, environment: str) -> str:
    """https://www.zohoapis.eu -> https://sandbox.zohoapis.eu for the sandbox."""
    if environment == "production":
        return domain
    return domain.replace("://www.", f"://{environment}.", 1)


class ZohoAuth:
    """The connection's access token and the API domain that goes with it."""

    def __init__(
        self,
        settings: ZohoSettings,
        http: httpx.Client,
        retry: RetryPolicy,
        log: logging.Logger,
        store: TokenStore | None = None,
    ) -> None:
        self.settings = settings
        self.server = settings.token_server
        self._http = http
        self.retry = retry
        self._log = log
        key = token_key(
            "zoho",
            self.server,
            settings.client_id,
            settings.client_secret.get_secret_value(),
            settings.refresh_token.get_secret_value(),
        )
        self._cache = TokenCache(
            self._mint, store or NoTokenStore(), key, margin=EXPIRY_MARGIN, log=log
        )
        self._lock = threading.Lock()
        self._current: str | None = None
        self.api_domain: str | None = settings.api_domain
        self.minted_domain: str | None = None
        self.scope: str | None = None
        self.proven = False
        """Whether the API accepted any token of this connection: from then on a
        refused token has expired (or been displaced), it is not a wrong data centre
        or client."""
        self.refusals: list[str] = []
        """Why the API refused this connection's tokens (`GET /path: CODE`), in order:
        what made it ask for new ones, named if the token server then throttles."""

    @property
    def minted(self) -> int:
        return self._cache.minted

    @property
    def reused(self) -> int:
        """Tokens taken over from an earlier run instead of minted."""
        return self._cache.reused

    def token(self) -> str:
        token = self._cache.get()
        if token.value != self._current:
            with self._lock:
                self._adopt(token)
        return token.value

    def refused(self, token: str, why: str = "") -> None:
        """The API refused `token` (`why`: where and with which code): the next
        `token()` mints a new one."""
        with self._lock:
            self.refusals.append(why or "a request")
        self._cache.invalidate(token)

    def accepted(self) -> None:
        """The API answered a request made with one of this connection's tokens."""
        self.proven = True

    def _adopt(self, token: Token) -> None:
        secrets.register([token.value])
        self._current = token.value
        self.minted_domain = token.details.get("api_domain") or None
        self.scope = token.details.get("scope") or None
        if self.settings.api_domain is None:
            domain = self.minted_domain or API_DOMAINS[self.settings.dc]
            self.api_domain = environment_domain(domain, self.settings.environment)

    def _mint(self) -> Token:
        settings = self.settings
        try:
            minted = self.retry.call(
                lambda: mint(
                    self._http,
                    self.server,
                    settings.client_id,
                    settings.client_secret.get_secret_value(),
                    settings.refresh_token.get_secret_value(),
                ),
                what=f"access token from {self.server}",
            )
        except TokenThrottled as exc:
            raise self._throttled(exc) from None
        secrets.register([minted.access_token])
        self._log.debug("minted an access token valid for %.0f s", minted.expires_in)
        details = {"api_domain": minted.api_domain or "", "scope": minted.scope or ""}
        return Token(minted.access_token, time.time() + minted.expires_in, details)

    def _throttled(self, exc: TokenThrottled) -> QuotaExhausted | AuthError:
        """The throttle, with the cause of the token requests that led to it."""
        with self._lock:
            refusals = list(self.refusals)
        if not refusals:
            return exc  # the quota was spent elsewhere (other runs or apps): credentials fine
        where = "; ".join(dict.fromkeys(refusals))
        cause = f"{self.api_domain} refused {len(refusals)} access token(s) this run ({where})"
        if not self.proven:
            # No token ever worked: the credentials or the API domain are wrong, and the
            # throttle is only the consequence.
            return AuthError(
                f"{exc}. It was asked for new tokens because {cause} before any worked: "
                f"the API domain may belong to another data centre than the token server "
                f"{self.server}, or the refresh token was revoked"
            )
        return TokenThrottled(f"{exc}. It was asked for new tokens because {cause}")
