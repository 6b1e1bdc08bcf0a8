"""Reports admins read: scorecards, incentives, compliance findings and the
per-manager incentive statement, as a terminal table, CSV or JSON."""
