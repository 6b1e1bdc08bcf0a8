"""Zoho OAuth: access tokens minted from a self client's refresh token.

One refresh token may mint only ten access tokens in ten minutes, so a token
is minted once, shared by every thread, and replaced only shortly before it
expires (an hour) or when the API refuses it. The token answer also names
the `api_domain` of the account's data centre, which is the host to call.

Zoho reports token failures as HTTP 200 with an `error` key, and throttling
of the token endpoint as HTTP 400 "Access Denied". A refusal is final for
the process: the streams read side by side all wait for the same mint, and
once the client or refresh token is refused none of them asks again (the
core's `TokenCache` remembers the refusal; asking again cannot succeed and
counts against the mint limit).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import httpx

from hub import secrets
from hub.adapters.http import RetryPolicy, TokenCache, Transient
from hub.errors import AuthError
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


def _body(response: httpx.Response) -> dict[str, object]:
    try:
        data = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def mint(
    http: httpx.Client, server: str, client_id: str, client_secret: str, refresh_token: str
) -> Minted:
    """One refresh-token exchange. Raises `Transient` (throttled, 5xx) or `TokenRefused`."""
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
    if response.status_code >= 500:
        raise Transient(f"token server {server} answered HTTP {response.status_code}")
    if response.status_code == 400 and error == "Access Denied":
        # Too many tokens minted in ten minutes: waiting is the only cure.
        raise Transient(f"token server {server} is throttling: {body.get('error_description', '')}")
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
        self, settings: ZohoSettings, http: httpx.Client, retry: RetryPolicy, log: logging.Logger
    ) -> None:
        self.settings = settings
        self.server = settings.token_server
        self._http = http
        self._retry = retry
        self._log = log
        self._cache = TokenCache(self._mint, margin=EXPIRY_MARGIN)
        self.api_domain: str | None = settings.api_domain
        self.minted_domain: str | None = None
        self.scope: str | None = None
        self.proven = False
        """Whether the API accepted any token of this connection: from then on a
        refused token has expired (or been displaced), it is not a wrong data centre
        or client."""

    @property
    def minted(self) -> int:
        return self._cache.minted

    def token(self) -> str:
        return self._cache.get()

    def refused(self, token: str) -> None:
        """The API refused `token`: the next `token()` mints a new one."""
        self._cache.invalidate(token)

    def accepted(self) -> None:
        """The API answered a request made with one of this connection's tokens."""
        self.proven = True

    def _mint(self) -> tuple[str, float]:
        settings = self.settings
        minted = self._retry.call(
            lambda: mint(
                self._http,
                self.server,
                settings.client_id,
                settings.client_secret.get_secret_value(),
                settings.refresh_token.get_secret_value(),
            ),
            what=f"access token from {self.server}",
        )
        secrets.register([minted.access_token])
        self.minted_domain = minted.api_domain
        self.scope = minted.scope
        if settings.api_domain is None:
            domain = minted.api_domain or API_DOMAINS[settings.dc]
            self.api_domain = environment_domain(domain, settings.environment)
        self._log.debug("minted an access token valid for %.0f s", minted.expires_in)
        return minted.access_token, minted.expires_in
