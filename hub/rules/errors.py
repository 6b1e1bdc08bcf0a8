"""Errors of the rules layer (exit codes from `hub.errors.ExitCode`)."""

from __future__ import annotations

from hub.errors import ExitCode, HubError


class RuleFailed(HubError):
    """A rule raised: the whole run is rolled back, nothing is stored."""

    exit_code = ExitCode.FAILED


class CloseRefused(HubError):
    """A period cannot be closed as it stands (e.g. earnings not evaluated)."""

    exit_code = ExitCode.FAILED
