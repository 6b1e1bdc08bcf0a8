"""Hypothesis profiles for the fuzz suite.

- `ci` (default): a fixed number of examples per target, derandomized (the
  same examples on every run and every machine), so `.ci/run` stays
  reproducible and takes a few minutes at most.
- `long`: 10,000 examples per target, random, for a release:
  `HYPOTHESIS_PROFILE=long pytest -m fuzz tests/fuzz`.

Set `HYPOTHESIS_SEED=N` with `long` to replay a run. A failure prints the
smallest input that fails; hypothesis keeps it in `.hypothesis/` and tries it
first next time.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

COMMON = {
    "deadline": None,  # a loaded 2-core CI machine is no reason to fail
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    "print_blob": True,
}

settings.register_profile("ci", max_examples=150, derandomize=True, **COMMON)
settings.register_profile("long", max_examples=10_000, **COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
