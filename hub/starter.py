"""The commented hub.toml that `hub init` writes."""

STARTER_CONFIG = """\
# hub.toml — configuration of the hub (https://toml.io).
# Values may use ${ENV_VAR} (or ${ENV_VAR:-default}): put secrets in the
# environment, never in this file. Relative paths are relative to this file.

# Where synced data lives. SQLite needs no setup; for a team use PostgreSQL:
#   store = "postgresql+psycopg://hub:${HUB_DB_PASSWORD}@db.example.com/hub"
store = "sqlite:///hub.db"

# Business periods (months, quarters) are computed in this time zone.
timezone = "Asia/Shanghai"

# Money is reported in this currency; other currencies convert at these rates
# (value of 1 unit in the base currency).
base_currency = "CNY"
[currency_rates]
# USD = "7.10"

[sync]
batch_size = 5000          # records per transaction
overlap_seconds = 300      # the cursor stays this far below the run's start
lease_ttl_seconds = 120    # a sync whose heartbeat is older than this is stale

# One table per connection: `adapter` names the plugin (see `hub plugins`),
# the other keys are that adapter's settings.

# Flat files (CSV exports from Excel or a CRM), one file per entity.
[connections.files]
adapter = "csv"
folder = "data"
# encoding = "auto"        # auto | utf-8 | utf-8-sig | gb18030 | utf-16
# date_order = "YMD"       # how to read 3/5/2026 style dates: YMD, MDY or DMY
managers = "managers.csv"
customers = "customers.csv"
activities = "activities.csv"
goals = "goals.csv"

# A file can take options of its own, e.g. to map a custom column:
# [connections.files.customers]
# path = "customers.csv"
# encoding = "gb18030"
# [connections.files.customers.columns]
# "客户级别" = "tier"

# Zoho CRM (needs the hub-zoho plugin):
# [connections.zoho_global]
# adapter = "zoho"
# client_id = "${ZOHO_CLIENT_ID}"
# client_secret = "${ZOHO_CLIENT_SECRET}"
# refresh_token = "${ZOHO_REFRESH_TOKEN}"
# data_centre = "com"

# Fxiaoke (needs the hub-fxiaoke plugin):
# [connections.fxiaoke_cn]
# adapter = "fxiaoke"
# app_id = "${FXIAOKE_APP_ID}"
# app_secret = "${FXIAOKE_APP_SECRET}"
# permanent_code = "${FXIAOKE_PERMANENT_CODE}"
"""
