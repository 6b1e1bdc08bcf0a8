"""The shared meanings under `[rules]` in hub.toml (which statuses mean
cancelled, which activity kinds count as a contact …).

A module of its own because the rule context and the query read them while
`hub.rules.config` loads them: neither needs the other's imports.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from hub.model import ActivityKind


def _lower(values: list[str]) -> list[str]:
    return [v.strip().lower() for v in values]


class Definitions(BaseModel):
    """Shared meanings, so every rule counts the same orders and contacts."""

    model_config = ConfigDict(extra="forbid")

    cancelled_statuses: list[str] = Field(
        default_factory=lambda: [
            "cancelled",
            "canceled",
            "refunded",
            "void",
            "voided",
            "已取消",
            "取消",
            "已退款",
            "退款",
            "作废",
            "已作废",
        ],
        description="order statuses (case-insensitive) that mean cancelled or refunded: "
        "such orders count for no measure and trigger clawbacks",
    )
    completed_statuses: list[str] = Field(
        default_factory=lambda: ["completed", "done", "closed", "delivered", "已完成", "完成"],
        description="order statuses that mean completed (besides a completed_at time)",
    )
    contact_kinds: list[ActivityKind] = Field(
        default_factory=lambda: [
            ActivityKind.call,
            ActivityKind.visit,
            ActivityKind.meeting,
            ActivityKind.email,
            ActivityKind.message,
        ],
        description="activity kinds that count as contacting a customer",
    )
    active_customer_days: int = Field(
        default=365,
        ge=1,
        description="a customer is active on a day if it ordered within this many days before "
        "(retention rate)",
    )

    def cancelled(self) -> list[str]:
        return _lower(self.cancelled_statuses)

    def completed(self) -> list[str]:
        return _lower(self.completed_statuses)
