"""Errors the hub reports to its users, and the exit codes they map to.

Schedulers act on exit codes, so each kind of failure has its own. The
message of a `HubError` is shown as one line; it must name the file, record
or key at fault and must never contain a secret.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1
    """A stream failed for a reason not listed below (the message says which)."""
    CONFIG = 2
    """hub.toml is invalid, or the command line is wrong."""
    LOCKED = 3
    """Another sync holds the lease on a connection."""
    SOURCE = 4
    """A source is unreachable or refused the credentials."""
    REJECTS = 5
    """The sync finished, but some records were rejected (see `hub rejects`)."""
    QUOTA = 6
    """A vendor quota ran out; the sync stopped cleanly and resumes next run."""
    INTERRUPTED = 130


class HubError(Exception):
    exit_code: ExitCode = ExitCode.FAILED


class ConfigError(HubError):
    """Bad configuration: fix hub.toml (or the environment) and run again."""

    exit_code = ExitCode.CONFIG


class LockHeld(HubError):
    exit_code = ExitCode.LOCKED


class SourceError(HubError):
    """The source cannot be used right now (network, auth, permissions)."""

    exit_code = ExitCode.SOURCE


class SourceUnreachable(SourceError):
    pass


class AuthError(SourceError):
    pass


class QuotaExhausted(HubError):
    """A vendor quota is used up. The sync stops with state saved."""

    exit_code = ExitCode.QUOTA


class SourceDataError(HubError):
    """The source as a whole cannot be read (a file in an unknown encoding,
    no id column). One bad *record* is a reject, not this."""

    exit_code = ExitCode.FAILED


class StoreError(HubError):
    exit_code = ExitCode.FAILED


class LeaseLost(HubError):
    """Another process took over this run's lease; stop without writing."""

    exit_code = ExitCode.LOCKED
