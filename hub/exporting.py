"""What every file the hub writes for people must respect.

- Cells a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+cmd|...`,
  `@SUM(...)`, a leading tab or carriage return) are written with a `'`
  prefix, as OWASP recommends for CSV injection; the stored value is never
  changed. Plain negative numbers (`-12.50`) stay numbers.
- Folders named in hub.toml stay inside the project folder (the folder of
  hub.toml): `export_folder = "../../victim"` or `"/"` is refused. A path the
  admin gives on the command line (`-o`) may point anywhere.
- A file that cannot be written (missing folder, full disk, `/dev/full`) is
  one line naming the file and the system's reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from hub.errors import ConfigError, HubError

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?")


def spreadsheet_cell(value: Any) -> Any:
    """The cell as a spreadsheet must receive it: text that would start a
    formula gets a leading `'`; everything else is returned unchanged."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


class OutputError(HubError):
    """A file the hub was asked to write cannot be written."""


def os_reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


@contextmanager
def output_file(path: str | Path, what: str = "--output") -> Iterator[IO[str]]:
    """Open `path` for writing text; any OS failure, at open, write or
    close, becomes one line naming the option and the file."""
    try:
        with Path(path).open("w", encoding="utf-8", newline="") as out:
            yield out
    except OSError as exc:
        raise OutputError(f"{what} {path}: cannot write: {os_reason(exc)}") from None


def confined(project: Path, path: Path, key: str) -> Path:
    """`path`, resolved, if it lies inside `project`; else a one-line error
    naming the key of hub.toml that sent it elsewhere."""
    root = project.resolve()
    resolved = path.resolve()
    if resolved != root and root not in resolved.parents:
        raise ConfigError(
            f"{key}: {path} is outside the project folder {root}; hub.toml may only name "
            "folders inside it (write elsewhere with `hub export ENTITY -o FILE`)"
        )
    return resolved
