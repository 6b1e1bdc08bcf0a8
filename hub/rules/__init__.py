"""Rules: incentive and compliance logic on top of the synced data.

What a rule author needs is importable from here; see docs/rules.md.
"""

from hub.rules.config import Definitions, RuleRef
from hub.rules.context import RuleContext
from hub.rules.results import (
    NOT_EVALUATED,
    OK,
    Award,
    Earning,
    Finding,
    Measurement,
    Severity,
    Status,
    Trace,
)
from hub.rules.spec import Kind, NoParams, RuleParams, RuleSpec, Stage

__all__ = [
    "NOT_EVALUATED",
    "OK",
    "Award",
    "Definitions",
    "Earning",
    "Finding",
    "Kind",
    "Measurement",
    "NoParams",
    "RuleContext",
    "RuleParams",
    "RuleRef",
    "RuleSpec",
    "Severity",
    "Stage",
    "Status",
    "Trace",
]
