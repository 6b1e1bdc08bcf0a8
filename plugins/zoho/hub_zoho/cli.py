"""`hub fake-zoho`: a Zoho CRM on loopback, so anyone can try `hub sync` with no account."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from hub_zoho.fake import FakeOrg, FakeZoho, make_server, sample_counts


def connection_snippet(fake: FakeZoho, name: str = "zoho_demo") -> str:
    settings = fake.settings()
    lines = [f"[connections.{name}]", 'adapter = "zoho"']
    lines += [f'{key} = "{value}"' for key, value in settings.items()]
    lines += [
        "",
        f"[connections.{name}.goals]",
        'currency = "Currency"',
        'module = "Sales_Targets"',
    ]
    return "\n".join(lines)


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {value!r}") from None
    return value


@click.command("fake-zoho")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--records",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 10_000_000),
    help="Records across all modules.",
)
@click.option(
    "--latency-ms",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 60_000),
    help="Added to every API request.",
)
@click.option(
    "--concurrency-limit",
    default=10,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Requests in flight.",
)
@click.option(
    "--credits",
    default=1_000_000,
    show_default=True,
    type=click.IntRange(0, 10**12),
    help="API credits per 24 h.",
)
@click.option(
    "--seed",
    default=7,
    show_default=True,
    type=click.IntRange(0, 2**32 - 1),
    help="Same seed, same org.",
)
@click.option(
    "--timezone",
    default="America/Los_Angeles",
    show_default=True,
    help="The API user's time zone: the offset Zoho writes datetimes in.",
    callback=lambda ctx, param, value: _zone(value),
)
def fake_zoho(
    host: str,
    port: int,
    records: int,
    latency_ms: float,
    concurrency_limit: int,
    credits: int,
    seed: int,
    timezone: str,
) -> None:
    """Serve a fake Zoho CRM (accounts server and API v8) on loopback.

    It keeps to Zoho's documented limits (fields, paging, page tokens,
    If-Modified-Since, concurrency, credits). Paste the printed connection
    into hub.toml and run `hub sync`. Stop with Ctrl-C.
    """
    org = FakeOrg()
    org.populate(sample_counts(records), seed=seed)
    org.add_field("Tasks", "Hub_Action_Key", unique=True)  # ready for `hub actions`
    fake = FakeZoho(
        org,
        user_timezone=timezone,
        concurrency_limit=concurrency_limit,
        daily_credits=credits,
        latency=latency_ms / 1000,
    )
    server = make_server(fake, host, port)
    total = sum(len(m.records) for m in org.modules.values())
    click.echo(
        f"fake Zoho CRM on {fake.api_domain}: {total} records, {len(org.users)} users, "
        f"{latency_ms:g} ms latency, {concurrency_limit} requests in flight at most",
        err=True,
    )
    click.echo("add this to hub.toml, then run `hub check` and `hub sync`:\n", err=True)
    click.echo(connection_snippet(fake))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
