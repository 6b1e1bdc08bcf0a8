"""`hub new adapter NAME` / `hub new rule NAME`: a plugin distribution to start from.

The templates under `templates/` are the files of a working plugin (with its
tests), with `$snake`, `$package`, `$dist`, `$Class`, `$title` and `$upper`
(`string.Template`) where the name goes; a folder called `__package__` becomes
the package. Written files are complete: installed, their tests pass.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

from hub.errors import ConfigError

KINDS = ("adapter", "rule")
_NAME = re.compile(r"^[a-z][a-z0-9]*(?:[_-][a-z0-9]+)*$")


def names(kind: str, name: str) -> dict[str, str]:
    """The spellings of NAME the templates use."""
    if not _NAME.match(name) or len(name) > 40:
        raise ConfigError(
            f"{kind} name {name!r}: use lower-case letters, digits and single _ or - "
            "(e.g. my_crm), at most 40 characters"
        )
    snake = name.replace("-", "_")
    prefix = "hub_" if kind == "adapter" else "hub_rule_"
    return {
        "snake": snake,
        "package": prefix + snake,
        "dist": prefix.replace("_", "-") + snake.replace("_", "-"),
        "Class": "".join(part.capitalize() for part in snake.split("_")),
        "title": " ".join(part.capitalize() for part in snake.split("_")),
        "upper": snake.upper(),
    }


def _files(root: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    found = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            found += _files(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".tmpl"):
            found.append((prefix + entry.name.removesuffix(".tmpl"), entry))
    return found


def write_scaffold(kind: str, name: str, into: Path | None = None) -> Path:
    """Write the distribution for a new adapter or rule; returns its folder."""
    values = names(kind, name)
    target = into if into is not None else Path(values["dist"])
    if target.exists() and any(target.iterdir()):
        raise ConfigError(f"{target}: folder is not empty; choose another with --into")
    templates = resources.files("hub.scaffold").joinpath("templates").joinpath(kind)
    for relative, source in _files(templates):
        path = target / relative.replace("__package__", values["package"])
        path.parent.mkdir(parents=True, exist_ok=True)
        text = Template(source.read_text(encoding="utf-8")).substitute(values)
        path.write_text(text, encoding="utf-8")
    return target
