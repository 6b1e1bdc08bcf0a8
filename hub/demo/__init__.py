"""`hub demo`: the whole product on one machine, with no account anywhere.

A trading company whose domestic team works in Fxiaoke, whose foreign-trade
team works in Zoho CRM and whose HR keeps the roster in a spreadsheet
(`company`); the plugins' fakes serve its CRMs on loopback (`fakes`); the
project folder holds hub.toml and the roster (`project`); `steps` runs it
all: sync, rules, report.
"""
