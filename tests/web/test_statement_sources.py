"""The statement's source records: the orders credited to a manager are their
own and, where an order names no manager, those of the customers they own
(what the rules credit), and nobody else's."""

from __future__ import annotations

from hub.reports import statement
from hub.reports.source import ReportSource
from hub.rules.testing import RuleTestbed, order

from .conftest import Company, demo_rules


def test_orders_without_a_manager_are_their_customers_owners(company: Company) -> None:
    bed = RuleTestbed(company.root)
    bed.configure(demo_rules())
    bed.add(
        order("U1", "C21", None, 5000, "2026-08-03 10:00"),  # C21 is M2's; no manager on it
        order("U2", "C31", None, 7000, "2026-08-04 10:00"),  # C31 is M3's
        order("U3", "C21", "M1", 9000, "2026-08-05 10:00"),  # named: M1's, though C21 is M2's
    )
    bed.run("2026-Q3", "2026-09-30 23:00")
    with bed.store.read() as conn:
        source = ReportSource(conn, "2026-Q3", 2, unmasked=True)
        for ref, mine, not_mine in (("M2", {"U1"}, {"U2", "U3"}), ("M1", {"U3"}, {"U1", "U2"})):
            report = statement.build(source, company.manager_id(ref))
            rows = next(s.rows for s in report.sections if s.name == "sources")
            orders = {r["source_id"] for r in rows if r["record"] == "order"}
            assert mine <= orders and not (not_mine & orders), (ref, orders)
            assert len(orders) > len(mine)  # and their other orders of the quarter
