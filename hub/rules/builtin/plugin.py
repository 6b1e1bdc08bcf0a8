"""Registers the built-in rules with the hub (entry point `rules` in the `hub` group)."""

from collections.abc import Iterator

from hub import hookimpl
from hub.rules.spec import RuleSpec


@hookimpl
def hub_register_rules() -> Iterator[RuleSpec]:
    # imported here, so loading plugins (every command does) stays cheap
    from hub.rules.builtin import (
        activity_checks,
        awards,
        churn_risk,
        commission,
        complaint_sla,
        contact_sla,
        duplicates,
        low_value,
        measures,
        owners,
        required_fields,
        scorecard,
        settle,
    )

    # incentives: measure -> reward -> settle
    yield measures.SPEC
    yield scorecard.SCORECARD_SPEC
    yield commission.COMMISSION_SPEC
    yield commission.TARGET_INCENTIVE_SPEC
    yield scorecard.BONUS_SPEC
    yield awards.SPEC
    yield settle.TOTAL_CAP_SPEC
    yield settle.CLAWBACK_SPEC
    # compliance
    yield contact_sla.SPEC
    yield complaint_sla.SPEC
    yield required_fields.SPEC
    yield duplicates.SPEC
    yield owners.OWNER_LOAD_SPEC
    yield owners.CUSTOMER_OWNER_SPEC
    yield low_value.SPEC
    yield churn_risk.SPEC
    yield activity_checks.LOGGING_LAG_SPEC
    yield activity_checks.PII_NOTES_SPEC
