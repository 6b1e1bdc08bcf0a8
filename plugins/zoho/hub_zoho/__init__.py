"""Zoho CRM adapter for hub: reads users, accounts or contacts, activities
(calls, tasks, meetings, notes, won deals) and goals from a custom module,
incrementally, from any Zoho data centre. `hub_zoho.fake` is a stateful
stand-in for the API, for tests and for `hub fake-zoho`."""

__version__ = "0.1.0"
