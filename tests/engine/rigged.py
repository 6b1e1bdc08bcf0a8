"""Start `hub worker` after rigging one internal function to SIGKILL the process
running a task, once (a marker file remembers it happened):

    python rigged.py kill TARGET N MARKER [parent] -- hub arguments...

TARGET as in tests/interrupt.py (`upsert`, `state`, `batch`, `resolve`), counted
per pool process; `parent` kills the whole worker node (its main process too),
not only the pool process running the task.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from hub.cli import main
from hub.store import records
from hub.sync import engine, state

TARGETS = {
    "upsert": (records.RecordWriter, "upsert"),
    "state": (state, "save"),
    "batch": (engine.SyncEngine, "_batches"),
    "resolve": (records, "resolve_references"),
}


def rig(target: str, amount: int, marker: Path, whole_node: bool) -> None:
    owner, name = TARGETS[target]
    original = getattr(owner, name)
    calls = 0

    def act() -> None:
        nonlocal calls
        calls += 1
        if calls == amount and not marker.exists():
            marker.write_text(str(os.getpid()))
            if whole_node:
                os.kill(os.getppid(), signal.SIGKILL)
            os.kill(os.getpid(), signal.SIGKILL)

    if target == "batch":

        def batches(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            for batch in original(self, *args, **kwargs):
                act()
                yield batch

        setattr(owner, name, batches)
    else:

        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            result = original(*args, **kwargs)
            act()
            return result

        setattr(owner, name, wrapped)
        if target == "resolve":
            import hub.engine.tasks

            hub.engine.tasks.resolve_references = wrapped


if __name__ == "__main__":
    split = sys.argv.index("--")
    mode, target, amount, marker, *rest = sys.argv[1:split]
    assert mode == "kill"
    rig(target, int(amount), Path(marker), "parent" in rest)
    sys.argv = ["hub", *sys.argv[split + 1 :]]
    main()
