"""`[actions.NAME]` in hub.toml: which findings become which follow-up task."""

from __future__ import annotations

import string
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from hub.actions.contract import Priority
from hub.errors import ConfigError

TEMPLATE_FIELDS = {
    "customer",
    "customer_ref",
    "owner",
    "rule",
    "message",
    "suggested_action",
    "period",
    "due_date",
    "severity",
}
"""What a subject or description template may use, e.g. "请联系 {customer}"."""

Language = Literal["zh", "en"]


class Texts(BaseModel):
    """A template per language."""

    model_config = ConfigDict(extra="forbid", strict=True)

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("zh", "en")
    @classmethod
    def _known_fields(cls, value: str) -> str:
        for _, name, _, _ in string.Formatter().parse(value):
            if name is not None and name not in TEMPLATE_FIELDS:
                known = ", ".join(sorted(TEMPLATE_FIELDS))
                raise ValueError(f"unknown placeholder {{{name}}} (known: {known})")
        return value


class ActionSettings(BaseModel):
    """One action: findings of `rule` with one of `statuses` become a task for the
    customer's owner, in the CRM where the customer lives."""

    model_config = ConfigDict(extra="forbid", strict=True)

    rule: str = Field(min_length=1)
    """The rule whose findings become actions (its name in [rules])."""
    statuses: list[Literal["violation", "warning"]] = Field(default_factory=lambda: ["violation"])
    severities: list[str] = Field(default_factory=list)
    """Only findings of these severities (empty: any)."""
    subject: Texts = Field(
        default_factory=lambda: Texts(
            zh="跟进客户 {customer}（{rule}）", en="Follow up with {customer} ({rule})"
        )
    )
    description: Texts = Field(
        default_factory=lambda: Texts(
            zh="{message}\n建议：{suggested_action}\n（hub 生成，{period}）",
            en="{message}\nSuggested: {suggested_action}\n(created by hub, {period})",
        )
    )
    language: Language = "zh"
    due_in_days: int = Field(default=3, ge=0, le=365)
    """The task is due this many days after the day it is planned (company time zone)."""
    priority: Priority = "normal"
    connections: list[str] = Field(default_factory=list)
    """Connections to write to, in order of preference, for customers known in several
    (through identity resolution). Empty: the connection the finding's customer came from."""
    triggers: bool = False
    """Let the CRM's workflows and automations run on the new task (off by default)."""
    enabled: bool = True


def parse_actions(raw: dict[str, Any], path: object) -> dict[str, ActionSettings]:
    """Validate every `[actions.NAME]`; one line naming the file and key on error."""
    out: dict[str, ActionSettings] = {}
    for name, value in raw.items():
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: actions.{name}: expected a table [actions.{name}]")
        try:
            out[name] = ActionSettings.model_validate(value)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            raise ConfigError(
                f"{path}: actions.{name}.{where}: {error['msg']}".replace("Value error, ", "")
            ) from None
    return out
