"""Fxiaoke's errorCodes, each mapped explicitly to what the client does.

Fxiaoke answers HTTP 200 for everything and puts the outcome in `errorCode`
(0 = success). The text in `errorMessage` changes between releases, so the
client never looks at it except to show it. Codes come from the official
table (start/guide/codes.html, old wiki artiId=27) and, where the live API
was seen to differ, from recorded probes: a bad appSecret on either token
endpoint answers 10006, not 20006.
"""

from __future__ import annotations

from enum import Enum


class Action(Enum):
    RETRY = "retry"
    """Back off and try again: busy, rate-limited, a server hiccup."""
    REFRESH = "refresh"
    """The token was refused: mint a new one once, then give up."""
    QUOTA = "quota"
    """The daily quota is used up: stop cleanly, keep the state."""
    CREDENTIALS = "credentials"
    """appId / appSecret / permanentCode refused: fix hub.toml."""
    PERMISSION = "permission"
    """The app or the operator may not do this: fix it in the Fxiaoke console."""
    NO_QUOTA = "no_quota"
    """The tenant has bought no OpenAPI quota at all."""
    OPERATOR = "operator"
    """The operator_user_id is unknown or malformed."""
    REQUEST = "request"
    """The request itself was refused (a bug, or an object the tenant lacks)."""


_COMMON: dict[int, tuple[Action, str]] = {
    -2: (Action.RETRY, "system error"),
    -1: (Action.RETRY, "system busy"),
    50009: (Action.RETRY, "service exception (e.g. a timeout inside Fxiaoke)"),
    14001: (Action.RETRY, "interface call limit exceeded"),
    30004: (Action.RETRY, "call frequency limit exceeded"),
    20016: (Action.REFRESH, "access token missing, expired or invalid"),
    11014: (Action.REFRESH, "corpAccessToken illegal"),
    30002: (Action.QUOTA, "daily OpenAPI quota exhausted"),
    30003: (Action.NO_QUOTA, "the tenant has bought no OpenAPI call quota"),
    20006: (Action.CREDENTIALS, "appId or appSecret is wrong"),
    20015: (Action.CREDENTIALS, "permanentCode is wrong"),
    20017: (Action.CREDENTIALS, "corpId not found, or no credentials sent"),
    11001: (Action.CREDENTIALS, "appId is illegal"),
    11002: (Action.CREDENTIALS, "appSecret is illegal"),
    11013: (Action.CREDENTIALS, "permanentCode is illegal"),
    11015: (Action.CREDENTIALS, "corpId is illegal"),
    15003: (Action.PERMISSION, "the app has no access permission"),
    20014: (Action.PERMISSION, "the app may not read this employee's data"),
    20020: (Action.PERMISSION, "the app has no permission for this enterprise"),
    20021: (Action.PERMISSION, "the app is disabled for this enterprise"),
    20022: (Action.PERMISSION, "the enterprise has not authorised the app"),
    20023: (Action.PERMISSION, "the app has no department (visibility) permission"),
    20012: (Action.OPERATOR, "operator_user_id not found in this enterprise"),
    11008: (Action.OPERATOR, "operator_user_id is illegal"),
    10010: (Action.OPERATOR, "operator_user_id (currentOpenUserId) is missing"),
    10013: (Action.REQUEST, "offset out of range 10000 (or corpAccessToken missing)"),
    15002: (Action.REQUEST, "a parameter is illegal"),
    32000: (Action.REQUEST, "a parameter is wrong"),
    30007: (Action.REQUEST, "department does not exist"),
    30027: (Action.REQUEST, "employee does not exist"),
}

_TOKEN_ENDPOINT: dict[int, tuple[Action, str]] = {
    10001: (Action.CREDENTIALS, "appId is missing"),
    10002: (Action.CREDENTIALS, "appSecret is missing"),
    10006: (Action.CREDENTIALS, "appSecret is missing or illegal"),
    10012: (Action.CREDENTIALS, "permanentCode is missing"),
}
"""On the token endpoints the live API uses 100xx codes for the credentials
themselves (observed: a wrong appSecret answers 10006)."""


def classify(code: int, *, token_endpoint: bool = False) -> tuple[Action, str]:
    """What to do about an errorCode, and a short description of it."""
    if token_endpoint and code in _TOKEN_ENDPOINT:
        return _TOKEN_ENDPOINT[code]
    if code in _COMMON:
        return _COMMON[code]
    if 10001 <= code <= 12005:
        return Action.REQUEST, "a required parameter is missing or illegal"
    return Action.REQUEST, "unrecognised errorCode"
