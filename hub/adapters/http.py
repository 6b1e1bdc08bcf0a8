"""What HTTP adapters share: timeouts and retries that honour Retry-After
(access tokens are `hub.adapters.tokens`', in-flight limits `hub.adapters.pacing`'s).

Each vendor maps its own answers onto four outcomes: success, `Transient`
(retry with backoff), `hub.errors.AuthError` (after one token refresh),
`hub.errors.QuotaExhausted` (stop cleanly) or a configuration error (fail
fast). This module only provides the mechanics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from hub.errors import SourceUnreachable

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class Transient(Exception):
    """A failure worth retrying: 429, 5xx, a vendor's "busy" code, a timeout."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (number or HTTP date), if present."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    initial_wait: float = 0.5
    max_wait: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    """Injectable, so tests can run retries on a virtual clock."""
    on_retry: Callable[[BaseException, int, float], None] | None = None
    """Called before each wait with (the failure, the attempt that failed, the
    seconds about to be waited): for logging or metrics."""

    def call(self, fn: Callable[[], T], what: str = "request") -> T:
        """Run `fn`, retrying `Transient` failures and network errors.

        Waits grow exponentially (with jitter) up to `max_wait`; a server's
        Retry-After wins when it asks for longer. When the attempts run out
        the last failure becomes `SourceUnreachable`."""
        backoff = wait_exponential_jitter(
            multiplier=self.initial_wait, max=self.max_wait, jitter=self.initial_wait
        )

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            hinted = getattr(exc, "retry_after", None)
            planned = backoff(state)
            return min(max(planned, hinted or 0.0), max(self.max_wait, hinted or 0.0))

        def before_sleep(state: RetryCallState) -> None:
            if self.on_retry is not None and state.outcome is not None:
                error = state.outcome.exception()
                waited = state.next_action.sleep if state.next_action else 0.0
                if error is not None:
                    self.on_retry(error, state.attempt_number, waited)

        retrying = Retrying(
            retry=retry_if_exception_type((Transient, httpx.TransportError)),
            wait=wait,
            stop=stop_after_attempt(self.attempts),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            return retrying(fn)
        except (Transient, httpx.TransportError) as exc:
            raise SourceUnreachable(
                f"{what}: still failing after {self.attempts} attempts: {_describe(exc)}"
            ) from None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    return str(exc) or type(exc).__name__
