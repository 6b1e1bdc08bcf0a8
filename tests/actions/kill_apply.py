"""Run `hub` in this process after rigging one point of `hub actions apply` to
SIGKILL the process on its N-th call (for the crash tests, run as a subprocess):

    python kill_apply.py TARGET N -- hub arguments...

TARGET: `attempt` (an attempt marked, not yet committed), `write` (the vendor
answered, nothing of its answer stored), `outcomes` (the answer written, its
transaction still open), `found` (a look-up's result written, not committed).
"""

from __future__ import annotations

import os
import signal
import sys

from hub_zoho.actions import ZohoActionWriter

from hub.actions import outbox
from hub.cli import main

TARGETS = {
    "attempt": (outbox, "mark_attempt"),
    "write": (ZohoActionWriter, "write"),
    "outcomes": (outbox, "mark_outcomes"),
    "found": (outbox, "mark_found"),
}


def rig(target: str, n: int) -> None:
    owner, name = TARGETS[target]
    original = getattr(owner, name)
    calls = 0

    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        result = original(*args, **kwargs)
        calls += 1
        if calls == n:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapped)


if __name__ == "__main__":
    target, n, sep, *args = sys.argv[1:]
    assert sep == "--"
    rig(target, int(n))
    sys.argv = ["hub", *args]
    main()
