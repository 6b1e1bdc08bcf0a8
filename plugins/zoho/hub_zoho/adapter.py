"""The Zoho CRM adapter: a stream per canonical entity.

| stream | Zoho |
| --- | --- |
| managers | Users, all of them (deactivated and deleted owners too) |
| customers | Accounts (B2B) or Contacts (B2C) |
| contacts | Contacts, the people at the accounts (B2B only: in B2C they are the customers) |
| activities | Calls, Tasks, Events (meetings), Notes, and won Deals as orders |
| goals | a custom module, when `[connections.NAME.goals]` names one |

Record ids are unique across an org's modules, so activities from several
modules share one id space without prefixes. The streams are read at the
same time (`concurrent_streams`), and so are the modules of a stream and the
time spans of a module; the one client they share keeps the requests in
flight within `max_concurrency` for the whole org.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from hub.adapters.contract import (
    Adapter,
    Batch,
    CheckResult,
    ConnectionContext,
    ReadContext,
    Stream,
)
from hub.adapters.pacing import limit_memory
from hub.adapters.tokens import token_store
from hub.errors import SourceDataError
from hub_zoho.actions import ZohoActionWriter
from hub_zoho.checking import check_connection
from hub_zoho.client import ZohoClient, check_retry
from hub_zoho.mapping import Mapper
from hub_zoho.reader import StreamReader
from hub_zoho.references import CustomerResolver
from hub_zoho.settings import ZohoSettings


class ZohoAdapter(Adapter):
    config: ZohoSettings
    concurrent_streams = True

    def __init__(
        self,
        config: ZohoSettings,
        context: ConnectionContext,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(config, context)
        self.client = ZohoClient(
            config,
            context.logger,
            transport=transport,
            tokens=token_store(context.config_dir, context.logger),
            limits=limit_memory(context.config_dir, context.logger),
            name=context.connection,
        )
        self.resolver = CustomerResolver(config.customers)
        self.mapper = Mapper(context.connection, context.timezone, config, self.resolver)
        self.reader = StreamReader(
            self.client, config, self.mapper, self.resolver, context.connection, context.logger
        )

    def modules(self, stream: Stream) -> list[str]:
        """The Zoho modules a stream reads."""
        if stream.entity == "customers":
            return [self.config.customers]
        if stream.entity == "contacts":
            return ["Contacts"]
        if stream.entity == "activities":
            return list(self.config.activities)
        if stream.entity == "goals" and self.config.goals:
            return [self.config.goals.module]
        return ["Users"]

    def streams(self) -> list[Stream]:
        c = self.config
        streams = [
            Stream("managers", "managers", deletes=True, description="Users (all)"),
            Stream("customers", "customers", deletes=True, description=c.customers),
        ]
        if c.reads_contacts:
            streams.append(Stream("contacts", "contacts", deletes=True, description="Contacts"))
        if c.activities:
            streams.append(
                Stream(
                    "activities", "activities", deletes=True, description=", ".join(c.activities)
                )
            )
        if c.goals:
            streams.append(
                Stream(
                    "goals", "goals", deletes=True, description=f"custom module {c.goals.module}"
                )
            )
        return streams

    def check(self) -> CheckResult:
        plan = {s.entity: self.modules(s) for s in self.streams() if s.entity != "managers"}
        policy = self.client.retry
        self.client.use_retry(check_retry(policy))
        try:
            return check_connection(self.client, self.reader, plan)
        finally:
            self.client.use_retry(policy)

    def read(
        self, stream: Stream, state: dict[str, Any] | None, ctx: ReadContext
    ) -> Iterator[Batch]:
        if stream.entity == "managers":
            yield from self.reader.read_users(state, ctx)
        elif stream.entity in ("customers", "contacts", "activities", "goals"):
            yield from self.reader.read_modules(stream.entity, self.modules(stream), state, ctx)
        else:
            raise SourceDataError(f"{self.context.connection}: no stream {stream.name!r}")

    def action_writer(self) -> ZohoActionWriter:
        return ZohoActionWriter(self.client, self.config, self.context.logger)

    def close(self) -> None:
        self.client.close()
