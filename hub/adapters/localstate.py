"""Small files the hub keeps for itself between runs: access tokens, learned limits.

They live in `.hub/` beside hub.toml (or in `$HUB_STATE_DIR`), outside the
store's data tables: a token is a credential, not data, and a limit learned
from one vendor account is a property of this installation. The folder is
created 0700 and every file 0600, written atomically (a reader never sees
half a file). Nothing here is ever fatal: these files only save work, so a
folder that cannot be written is logged once and the run goes on without it.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

STATE_DIR_ENV = "HUB_STATE_DIR"
"""A folder to keep the hub's own files in, instead of `.hub/` beside hub.toml."""


def state_dir(config_dir: Path) -> Path:
    """Where the hub keeps its own files for the project whose hub.toml is in `config_dir`."""
    override = os.environ.get(STATE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return config_dir / ".hub"


class PrivateFiles:
    """JSON files in one folder, readable only by the user the hub runs as."""

    def __init__(self, folder: Path, log: logging.Logger | None = None) -> None:
        self.folder = folder
        self._log = log or logging.getLogger("hub.adapters.localstate")
        self._warned = False

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def read(self, name: str) -> dict[str, Any] | None:
        """The file's content; None when it is missing, unreadable, not ours alone or not JSON."""
        path = self.path(name)
        try:
            info = path.stat()
            if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
                self._warn(f"{path} is readable by other users: ignored (it is rewritten 0600)")
                return None
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            self._warn(f"{path}: cannot be read ({type(exc).__name__}): ignored")
            return None
        return data if isinstance(data, dict) else None

    def write(self, name: str, data: dict[str, Any]) -> bool:
        """Replace the file atomically with mode 0600; False (logged once) if that fails."""
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                os.fchmod(fd, 0o600)
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    json.dump(data, out)
                os.replace(temporary, self.path(name))
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            self._warn(f"cannot write {self.folder} ({exc.strerror or type(exc).__name__})")
            return False
        return True

    def remove(self, name: str) -> None:
        try:
            self.path(name).unlink(missing_ok=True)
        except OSError as exc:
            self._warn(f"cannot remove {self.path(name)} ({exc.strerror or type(exc).__name__})")

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            self._log.warning("%s; carrying on without it", message)
