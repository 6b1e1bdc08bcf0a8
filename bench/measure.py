"""Run one command and measure it: wall time, peak RSS, exit code.

Every case runs as its own process, so its memory can be measured alone:
`os.wait4` returns the resource usage of exactly that child (its peak RSS,
including any children it waited for), which `RUSAGE_CHILDREN` cannot do
once several cases have run.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Measurement:
    wall_seconds: float
    peak_rss_mb: float
    exit_code: int
    stdout: str
    stderr: str
    load_before: float
    """One-minute load average when the case started (other work on the machine)."""
    cpu_seconds: float = 0.0
    """User + system CPU time of the process (and the children it waited for):
    on a machine shared with other work, the figure the others disturb least."""


class CommandFailed(RuntimeError):
    pass


def run(
    command: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    ok: Sequence[int] = (0,),
) -> Measurement:
    """Run `command` to completion; raise `CommandFailed` on an unexpected exit code."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(c) for c in command],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    cpu = usage.ru_utime + usage.ru_stime
    result = Measurement(
        wall, usage.ru_maxrss / 1024, process.returncode, stdout, stderr, load, cpu
    )
    if result.exit_code not in ok:
        tail = "\n".join(stderr.strip().splitlines()[-15:])
        raise CommandFailed(
            f"{' '.join(str(c) for c in command)} exited with {result.exit_code}:\n{tail}"
        )
    return result
