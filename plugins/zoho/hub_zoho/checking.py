"""`hub check` for a Zoho connection: one precise answer.

It mints a token (a wrong client id, a revoked refresh token and a wrong
data centre each get their own message: on `invalid_client` the other data
centres' token servers are asked, and the one that knows the client is
named), signs in to the API as the token's user, reads each module's field
metadata and one record of each module, so a missing OAuth scope, a missing
permission or a misnamed field is reported before the first sync.

The exit code says where the fix is: 2 for what hub.toml gets wrong (a
misspelt field or module, a missing `currency`, an API domain that is not
Zoho's), 4 for credentials, permissions and reachability (a wrong data
centre included: Zoho refuses the client, as it does for a mistyped id).
"""

from __future__ import annotations

from typing import Any

from hub.adapters.contract import CheckResult
from hub.errors import ConfigError, ExitCode, HubError
from hub.sync.results import worst
from hub_zoho.auth import TokenRefused, mint
from hub_zoho.client import API, ZohoClient
from hub_zoho.reader import StreamReader
from hub_zoho.settings import ACCOUNTS_URLS


def _fix_in(error: HubError) -> ExitCode:
    """2 when hub.toml is at fault, 4 for everything on Zoho's side."""
    return ExitCode.CONFIG if isinstance(error, ConfigError) else ExitCode.SOURCE


def _home_of_client(client: ZohoClient) -> str | None:
    """The data centre whose token server accepts this client, if another one does."""
    settings = client.settings
    for dc, server in ACCOUNTS_URLS.items():
        if dc == settings.dc:
            continue
        try:
            mint(
                client.http,
                server,
                settings.client_id,
                settings.client_secret.get_secret_value(),
                settings.refresh_token.get_secret_value(),
            )
        except TokenRefused as exc:
            if exc.error != "invalid_client":
                return dc  # it knows the client (the refresh token may still be wrong)
            continue
        except Exception:  # unreachable or throttled: no answer from this one
            continue
        return dc
    return None


def check_connection(
    client: ZohoClient, reader: StreamReader, plan: dict[str, list[str]]
) -> CheckResult:
    settings = client.settings
    details: dict[str, Any] = {"token_server": client.auth.server}
    try:
        client.auth.token()
    except TokenRefused as exc:
        if exc.error == "invalid_client" and settings.accounts_url is None:
            home = _home_of_client(client)
            if home is not None:
                return CheckResult(
                    False,
                    f"wrong data centre: client id {settings.client_id} belongs to the {home} "
                    f"data centre ({ACCOUNTS_URLS[home]}), not {settings.dc}; "
                    f'set dc = "{home}"',
                    details,
                )
        return CheckResult(False, str(exc), details)
    except HubError as exc:  # throttled token endpoint: 6; unreachable: 4
        return CheckResult(False, str(exc), details, exit_code=int(exc.exit_code))
    details["api_domain"] = client.auth.api_domain
    if client.auth.scope:
        details["scope"] = client.auth.scope

    problems: dict[str, ExitCode] = {}
    user_text = "the token's user"
    try:
        answer = client.get(f"{API}/users", {"type": "CurrentUser"})
        users = (answer.body or {}).get("users") or [{}]
        user = users[0]
        profile = (user.get("profile") or {}).get("name")
        user_text = f"{user.get('full_name') or user.get('email') or 'a user'}" + (
            f" ({profile})" if profile else ""
        )
    except HubError as exc:
        if "refused a freshly minted token" in str(exc):
            return CheckResult(False, f"wrong data centre or API domain: {exc}", details)
        problems[str(exc)] = _fix_in(exc)

    for entity, modules in plan.items():
        try:
            fields, _, _ = reader.plan_module_fields(entity, modules)
        except HubError as exc:
            problems[str(exc)] = _fix_in(exc)
            continue
        for module in modules:
            try:
                client.get(f"{API}/{module}", {"fields": fields[module][0][0], "per_page": 1})
            except HubError as exc:
                problems[str(exc)] = _fix_in(exc)
    details["modules"] = plan
    if problems:
        code = worst(list(problems.values()))
        return CheckResult(False, "; ".join(problems), details, exit_code=int(code))
    read = ", ".join(f"{entity} from {'+'.join(mods)}" for entity, mods in plan.items())
    return CheckResult(
        True,
        f"{client.auth.api_domain}: signed in as {user_text}; reads managers from Users, {read}",
        details,
    )
