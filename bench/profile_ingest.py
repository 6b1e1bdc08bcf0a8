"""Where `hub sync` spends its time: py-spy on the first sync of the activities file.

Sets up the same project as `ingest.py` (managers and customers synced
first), then records the timed `hub sync --stream activities` with py-spy
(a sampling profiler outside the process: no instrumentation overhead) and
prints two lists from the samples:

- inclusive: the share of samples with the function anywhere on the stack
  (the time spent in it and everything it calls);
- self: the share of samples with the function at the top of the stack.

With `--resync-changed` the profiled run is the re-sync after 1% of the
rows changed in place (the first sync runs unprofiled before it).

The raw stacks are kept (`bench/profiles/*.txt`, collapsed format) and a
speedscope file can be written with `--speedscope` for a flame graph view.

    bench/.venv/bin/python bench/profile_ingest.py --size 100k
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

from generate import Plan, ensure, parse_size, size_label
from hub_project import replace_file, write_project
from measure import run

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PROFILES = BENCH / "profiles"

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def frame_name(frame: str) -> str:
    """`map (/work/main/plugins/csv/hub_csv/mapping.py:212)` → `map (hub_csv/mapping.py)`."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    parts = Path(match["file"]).parts
    short = "/".join(parts[-2:]) if len(parts) >= 2 else match["file"]
    return f"{match['func']} ({short})"


def summarise(stacks: Path, top: int) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in stacks.read_text().splitlines():
        if not line.strip():
            continue
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [frame_name(f) for f in stack.split(";")]
        if frames and frames[0].startswith("process "):
            frames = frames[1:]  # py-spy's "process 123:..." root
        if frames and frames[0].startswith("thread "):
            frames = frames[1:]
        total += count
        for name in set(frames):
            inclusive[name] += count
        if frames:
            own[frames[-1]] += count
    lines = [f"{total} samples", "", "inclusive (function and what it calls):"]
    for name, count in inclusive.most_common(top):
        lines.append(f"  {count / total:6.1%}  {name}")
    lines += ["", "self (the function's own code):"]
    for name, count in own.most_common(top):
        lines.append(f"  {count / total:6.1%}  {name}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100k", type=parse_size, help="activity rows")
    parser.add_argument("--store", default="sqlite", help="sqlite, or a PostgreSQL URL")
    parser.add_argument("--hub", type=Path, default=REPO / ".venv" / "bin" / "hub")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--speedscope", action="store_true", help="also write a speedscope file")
    parser.add_argument(
        "--resync-changed", action="store_true", help="profile the 1%%-changed re-sync instead"
    )
    args = parser.parse_args()

    label = size_label(args.size)
    data = BENCH / "data" / label
    ensure(data, Plan.for_activities(args.size))
    work = BENCH / "data" / "runs" / label / "profile"
    store = f"sqlite:///{work / 'hub.db'}" if args.store == "sqlite" else args.store
    activities = write_project(work, data, store)
    run([args.hub, "sync", "--stream", "managers", "--stream", "customers"], cwd=work, ok=(0, 5))
    if args.resync_changed:
        run([args.hub, "sync", "--stream", "activities"], cwd=work, ok=(0, 5))
        replace_file(activities, data / "activities_changed.csv")

    PROFILES.mkdir(exist_ok=True)
    py_spy = Path(sys.executable).parent / "py-spy"
    kind = "sqlite" if args.store == "sqlite" else "postgres"
    case = "-resync-changed" if args.resync_changed else ""
    stacks = PROFILES / f"ingest-{label}-{kind}{case}.txt"
    hub = [str(args.hub), "sync", "--stream", "activities"]
    record = [str(py_spy), "record", "--rate", str(args.rate), "--nonblocking"]
    subprocess.run(
        [*record, "--format", "raw", "--output", str(stacks), "--", *hub],
        cwd=work,
        check=False,
        capture_output=True,
    )
    if args.speedscope and not args.resync_changed:
        write_project(work, data, store)
        run(
            [args.hub, "sync", "--stream", "managers", "--stream", "customers"], cwd=work, ok=(0, 5)
        )
        target = stacks.with_suffix(".speedscope.json")
        subprocess.run(
            [*record, "--format", "speedscope", "--output", str(target), "--", *hub],
            cwd=work,
            check=False,
            capture_output=True,
        )
    print(f"stacks: {stacks.relative_to(REPO)}")
    print(summarise(stacks, args.top))


if __name__ == "__main__":
    main()
