"""Test kit for adapter and rule authors.

- `AdapterContract`: subclass it in your plugin's tests to check that an
  adapter keeps the adapter contract (see `hub.testing.contract`).
- `Project`: a throwaway hub project (hub.toml + store) to run real syncs in.
- pytest fixtures `store_url` (SQLite and PostgreSQL), `postgres_url` and
  `project`, registered automatically when hub is installed.
"""

from hub.testing.contract import AdapterContract
from hub.testing.harness import Project, read_all, snapshot

__all__ = ["AdapterContract", "Project", "read_all", "snapshot"]
