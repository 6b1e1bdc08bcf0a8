"""The HTTP mechanics adapters share: retries and the token cache."""

from __future__ import annotations

import httpx
import pytest

from hub.adapters.http import RetryPolicy, Transient, retry_after_seconds
from hub.errors import SourceUnreachable


def test_transient_failures_are_retried_and_retry_after_wins() -> None:
    slept: list[float] = []
    attempts = iter([Transient("429", retry_after=7.0), httpx.ConnectError("down"), "ok"])

    def call() -> str:
        outcome = next(attempts)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(attempts=5, initial_wait=0.1, max_wait=2.0, sleep=slept.append)
    assert policy.call(call) == "ok"
    assert slept[0] == 7.0  # the server asked for longer than our own backoff
    assert 0 < slept[1] <= 2.0


def test_giving_up_is_source_unreachable_naming_what_failed() -> None:
    policy = RetryPolicy(attempts=3, sleep=lambda _: None)

    def call() -> None:
        raise httpx.ReadTimeout("slow")

    with pytest.raises(
        SourceUnreachable, match="Accounts page 3: still failing after 3 attempts: timed out"
    ):
        policy.call(call, "Accounts page 3")


def test_other_errors_are_not_retried() -> None:
    calls = []

    def call() -> None:
        calls.append(1)
        raise ValueError("bad mapping")

    with pytest.raises(ValueError):
        RetryPolicy(sleep=lambda _: None).call(call)
    assert len(calls) == 1


def test_retry_after_header_forms() -> None:
    assert retry_after_seconds(httpx.Response(429, headers={"Retry-After": "12"})) == 12.0
    assert (
        retry_after_seconds(
            httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        )
        == 0.0
    )
    assert retry_after_seconds(httpx.Response(429)) is None


def test_each_retry_is_reported() -> None:
    reported: list[tuple[str, int, float]] = []
    outcomes = iter([Transient("busy", retry_after=2.0), Transient("busy"), "ok"])

    def call() -> str:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    policy = RetryPolicy(
        sleep=lambda _: None, max_wait=5, on_retry=lambda e, n, w: reported.append((str(e), n, w))
    )
    assert policy.call(call) == "ok"
    assert [(m, n) for m, n, _ in reported] == [("busy", 1), ("busy", 2)]
    assert reported[0][2] == 2.0
