"""Logging for people (text) and for schedulers (`--log-format json`).

Every line passes through the secret redactor, whatever logged it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

from hub import secrets

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = secrets.redact(message), None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = secrets.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and extras."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_text:
            data["exception"] = record.exc_text
        return secrets.redact(json.dumps(data, ensure_ascii=False, default=str))


def setup(log_format: str = "text", level: str = "info") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
    root = logging.getLogger("hub")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False
