"""Run `hub sync` in this process after rigging one internal function, for the
crash and lock tests (run as a subprocess):

    python interrupt.py kill  TARGET N  -- hub arguments...   (SIGKILL on the N-th call)
    python interrupt.py sleep TARGET S  -- hub arguments...   (sleep S seconds per call)

TARGET names a point inside a sync: `upsert` (a batch's records written, its
transaction still open), `state` (the checkpoint written, not yet committed),
`batch` (the adapter is asked for the next batch: the previous one committed),
`resolve` (end-of-connection reference resolution).
"""

from __future__ import annotations

import os
import signal
import sys
import time

from hub.cli import main
from hub.store import records
from hub.sync import engine, state

TARGETS = {
    "upsert": (records.RecordWriter, "upsert"),
    "state": (state, "save"),
    "batch": (engine.SyncEngine, "_batches"),
    "resolve": (engine, "resolve_references"),
}


def rig(mode: str, target: str, amount: float) -> None:
    owner, name = TARGETS[target]
    original = getattr(owner, name)
    calls = 0

    def act() -> None:
        nonlocal calls
        calls += 1
        if mode == "kill" and calls == int(amount):
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "sleep":
            time.sleep(amount)

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


if __name__ == "__main__":
    mode, target, amount, separator, *hub_args = sys.argv[1:]
    assert separator == "--"
    rig(mode, target, float(amount))
    sys.argv = ["hub", *hub_args]
    main()
