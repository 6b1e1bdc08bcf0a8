"""`[identity]` in hub.toml: keys, thresholds and survivorship."""

from __future__ import annotations

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.model import ENTITIES

MANAGER_KEYS = ("email", "phone", "employee_number")
CUSTOMER_KEYS = ("credit_code", "phone", "email", "domain_name", "contact_mobile", "contact_email")
CONTACT_KEYS = {"contact_mobile": "mobile", "contact_email": "email"}
"""Customer keys taken from the customer's contacts: key kind -> contact field."""


class Survivorship(BaseModel):
    """Which connection wins for which field of the unified record.

    `prefer` orders connections for every field; `fields` overrides it per
    field. Members not named come after, most recently updated first, and an
    empty value never wins over a filled one."""

    model_config = ConfigDict(extra="forbid")

    prefer: list[str] = Field(default_factory=list)
    fields: dict[str, list[str]] = Field(default_factory=dict)

    def order(self, field: str) -> list[str]:
        return self.fields.get(field, self.prefer)


class IdentitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    """Match after every `hub sync` (the CLI's `hub identity resolve` always can)."""
    default_region: str = Field(default="CN", min_length=2, max_length=2)
    """Region for phone numbers written without a country code."""
    manager_keys: list[str] = Field(default_factory=lambda: list(MANAGER_KEYS))
    customer_keys: list[str] = Field(default_factory=lambda: list(CUSTOMER_KEYS))
    max_key_records: int = Field(default=5, ge=2)
    """A key value shared by more records than this (a switchboard, `info@`)
    never merges anything and is reported."""
    max_block_records: int = Field(default=200, ge=2)
    """Blocks (records compared by score) larger than this are skipped and reported."""
    merge_threshold: float = Field(default=0.95, gt=0, le=1)
    """Scored pairs at or above this match probability merge."""
    review_threshold: float = Field(default=0.5, gt=0, le=1)
    """Scored pairs between this and `merge_threshold` go to `hub identity review`."""
    free_email_domains: list[str] = Field(
        default_factory=lambda: [
            "qq.com", "163.com", "126.com", "sina.com", "sohu.com", "foxmail.com",
            "gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com",
            "aliyun.com", "139.com", "yeah.net",
        ]
    )  # fmt: skip
    """Domains that say nothing about which company a customer is."""
    managers: Survivorship = Field(default_factory=Survivorship)
    customers: Survivorship = Field(default_factory=Survivorship)

    @model_validator(mode="after")
    def _check(self) -> IdentitySettings:
        if self.review_threshold > self.merge_threshold:
            raise ValueError("review_threshold must not be above merge_threshold")
        for name, keys, known in (
            ("manager_keys", self.manager_keys, MANAGER_KEYS),
            ("customer_keys", self.customer_keys, CUSTOMER_KEYS),
        ):
            for key in keys:
                if key not in known:
                    raise ValueError(f"{name}: unknown key {key!r} (one of {', '.join(known)})")
        if self.default_region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"default_region: unknown region {self.default_region!r}")
        self.default_region = self.default_region.upper()
        for entity, rules in (("managers", self.managers), ("customers", self.customers)):
            known = set(ENTITIES[entity].model_fields) - {"id", "source", "source_id"}
            for name in rules.fields:
                if name not in known:
                    raise ValueError(f"{entity}.fields: {name!r} is not a field of {entity}")
        return self

    def survivorship(self, entity: str) -> Survivorship:
        return self.managers if entity == "managers" else self.customers
