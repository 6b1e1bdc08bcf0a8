"""Registers the rule with the hub (entry point `key_account_visits`)."""

from collections.abc import Iterator

from hub import hookimpl
from hub.rules import RuleSpec
from hub_rule_example.key_accounts import SPEC


@hookimpl
def hub_register_rules() -> Iterator[RuleSpec]:
    yield SPEC
