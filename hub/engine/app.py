"""The Celery app of the hub project named by `$HUB_CONFIG` (else `./hub.toml`).

`celery -A hub.engine.app worker` works as well as `hub worker`; its `[engine]`
table says which broker and queue.
"""

from __future__ import annotations

from hub.engine.celeryconf import build_app
from hub.engine.project import project

app = build_app(project().config)
