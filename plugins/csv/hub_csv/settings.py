"""Settings of a CSV connection, as written in hub.toml."""

from __future__ import annotations

from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.model import ENTITIES

Encoding = Literal["auto", "utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"]
DateOrder = Literal["YMD", "MDY", "DMY"]


class FileSettings(BaseModel):
    """One entity's file. Options left out take the connection's value."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1)
    encoding: Encoding | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    columns: dict[str, str] = Field(default_factory=dict)
    """Header -> canonical field, `extra.NAME`, or "-" to ignore the column."""
    key: list[str] | None = None
    """Columns whose values together identify a row, when there is no id column."""
    defaults: dict[str, str] = Field(default_factory=dict)
    """Canonical field -> value for rows where the column is missing or empty."""
    decimal_comma: list[str] = Field(default_factory=list)
    """Columns (headers or canonical fields) whose numbers are written `1.234,56`."""
    negative: list[str] = Field(default_factory=list)
    """Money columns (headers or fields) where a negative amount is meant: refunds, clawbacks."""


class CsvSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    folder: str = "."
    encoding: Encoding = "auto"
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    """Field separator; by default guessed from the header line (, ; tab |)."""
    date_order: DateOrder = "YMD"
    """How to read dates that do not start with the year (3/5/2026)."""
    timezone: str | None = None
    """Time zone of date/time values without an offset (default: the company's)."""
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    """Currency of amounts that do not say (default: the base currency)."""
    columnar: bool = True
    """Map each batch column-wise into an Arrow table (the default: the same
    records and rejects as the row path, faster); `false` maps row by row."""
    export_folder: str = Field(default="export", min_length=1)
    """Where `hub export --to` writes files (relative to `folder`; the result
    must stay inside the project folder)."""
    actions_file: str | None = Field(default=None, min_length=1)
    """Where `hub actions apply` appends the follow-up tasks of this source's customers
    (relative to `folder`; it must stay inside the project folder); unset: the
    connection takes no actions."""

    managers: FileSettings | None = None
    customers: FileSettings | None = None
    contacts: FileSettings | None = None
    activities: FileSettings | None = None
    goals: FileSettings | None = None

    @field_validator("managers", "customers", "contacts", "activities", "goals", mode="before")
    @classmethod
    def _file_name_only(cls, value: object) -> object:
        return {"path": value} if isinstance(value, str) else value

    @field_validator("export_folder", "actions_file")
    @classmethod
    def _relative_inside(cls, value: str | None) -> str | None:
        if value is None:
            return value
        path = PurePath(value)
        if path.is_absolute() or value.startswith(("/", "\\")) or ".." in path.parts:
            raise ValueError("must be a folder inside the project (relative, without ..)")
        return value

    @model_validator(mode="after")
    def _defaults(self) -> CsvSettings:
        if not any(self.file(entity) for entity in ENTITIES):
            for entity in ENTITIES:
                setattr(self, entity, FileSettings(path=f"{entity}.csv"))
            self._implicit = True
        return self

    _implicit: bool = False

    def file(self, entity: str) -> FileSettings | None:
        return getattr(self, entity)

    @property
    def implicit_files(self) -> bool:
        """No file was named: every `<entity>.csv` in the folder is used if present."""
        return self._implicit
