"""The plugin author's guides keep up with the code."""

from __future__ import annotations

import re
from pathlib import Path

from hub import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def hookspec_names() -> list[str]:
    return sorted(
        name
        for name, value in vars(hookspecs).items()
        if name.startswith("hub_") and callable(value) and hasattr(value, "hub_spec")
    )


def test_every_hook_has_a_section_in_docs_hooks_md() -> None:
    names = hookspec_names()
    assert "hub_register_adapters" in names and len(names) >= 8
    documented = set(re.findall(r"^### `(hub_\w+)\(", (DOCS / "hooks.md").read_text(), re.M))
    missing = [n for n in names if n not in documented]
    assert not missing, f"hooks without a section in docs/hooks.md: {missing}"
    stale = sorted(documented - set(names))
    assert not stale, f"docs/hooks.md documents hooks that do not exist: {stale}"


def test_the_guides_link_each_other() -> None:
    adapters = (DOCS / "adapters.md").read_text()
    for target in ("hooks.md", "rules.md", "batches.md"):
        assert f"({target}" in adapters, f"docs/adapters.md does not link {target}"
