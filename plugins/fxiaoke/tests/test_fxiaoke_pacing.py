"""Pacing to what the tenant really allows (issue 16.9): a tenant counted tighter
than configured is learned from its 30004 answers (AIMD, `hub.adapters.pacing`),
the learned pace is logged and kept for the next run, the window is a setting,
and `hub check` and `hub sync` in one process count in one window."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hub_fxiaoke import ratelimit
from hub_fxiaoke.client import FxiaokeClient
from hub_fxiaoke.clock import VirtualClock
from hub_fxiaoke.fake import DemoSizes, FakeFxiaoke, populate
from hub_fxiaoke.paging import PRESET_QUERY, query_body
from hub_fxiaoke.settings import FxiaokeSettings
from hub_fxiaoke.testing import HOST, mount

from hub.adapters.pacing import FileLimitMemory
from hub.cli import run as hub_cli
from hub.errors import ExitCode
from hub.testing import Project

QUERY = query_body("AccountObj", None, None, count=False, limit=1)
SIZES = DemoSizes(accounts=3000, follow_ups=3000, visits=1500, orders=1500, payments=1500)
"""About 165 query calls for a complete read: more than one window of a tighter tenant."""


@pytest.fixture
def new_process(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Start "the next run" as a new process would: no rate-limit windows yet."""

    def start() -> None:
        monkeypatch.setattr(ratelimit, "process_windows", ratelimit.Windows())

    start()
    return start


def refused(fake: FakeFxiaoke) -> int:
    return fake.counters.answered.get(30004, 0)


# -- the client --------------------------------------------------------------------------


def test_a_tighter_tenant_is_learned_in_the_first_run_and_remembered_for_the_next(
    tenant: FakeFxiaoke,
    settings: dict[str, Any],
    vclock: VirtualClock,
    tmp_path: Path,
    new_process: Callable[[], None],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The tenant allows 40 calls per 20 s, not the 100 configured: the first 30004
    (to the 41st call of the window) cuts the budget to half of that, so 400 calls
    meet one (each refused call also counts against the daily quota), and the next
    run starts from the budget learned."""
    caplog.set_level(logging.INFO, logger="hub.adapters.fxiaoke")
    tenant.calls_per_20s = 40
    memory = FileLimitMemory(tmp_path / "limits")
    with mount(tenant):
        first = FxiaokeClient(FxiaokeSettings.model_validate(settings), limits=memory)
        for _ in range(400):
            first.post(PRESET_QUERY, QUERY)
        first.close()
        in_first = refused(tenant)
        assert in_first == 1  # without adapting: 240 of 640 calls refused
        settled = first.limiter(PRESET_QUERY).limit
        assert settled is not None and 20 <= settled.value < 40  # cut to 20, growing slowly
        assert (
            f"Fxiaoke {PRESET_QUERY}: settled on {settled.value} calls per 20 s after "
            f"{in_first} throttled answers (configured 100)"
        ) in caplog.text

        new_process()
        vclock.advance(60)  # the next scheduled run
        second = FxiaokeClient(FxiaokeSettings.model_validate(settings), limits=memory)
        for _ in range(400):
            second.post(PRESET_QUERY, QUERY)
        second.close()
    assert refused(tenant) == in_first  # none in the second run
    assert second.limiter(PRESET_QUERY) is not first.limiter(PRESET_QUERY)
    assert f"starting at {settled.value} calls per 20 s, learned by an earlier run" in caplog.text


def test_without_memory_every_run_learns_again(
    tenant: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock, new_process: Any
) -> None:
    """The counterpart of the test above: what the memory saves."""
    tenant.calls_per_20s = 40
    with mount(tenant):
        for _ in range(2):
            new_process()
            vclock.advance(60)
            client = FxiaokeClient(FxiaokeSettings.model_validate(settings))
            for _ in range(100):
                client.post(PRESET_QUERY, QUERY)
            client.close()
    assert refused(tenant) == 2  # one per run


def test_the_window_is_a_setting(
    tenant: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock
) -> None:
    """A tenant that counts its 100 calls over 60 s: with `rate_window_seconds = 60`
    no call is refused, and 250 calls take two full windows."""
    tenant.window_seconds = 60
    client = FxiaokeClient(FxiaokeSettings.model_validate({**settings, "rate_window_seconds": 60}))
    start = vclock.time()
    with mount(tenant):
        for _ in range(250):
            client.post(PRESET_QUERY, QUERY)
    assert refused(tenant) == 0
    assert 120 <= vclock.time() - start < 125


def test_the_learned_pace_is_per_window_setting(
    tenant: FakeFxiaoke, settings: dict[str, Any], vclock: VirtualClock, tmp_path: Path
) -> None:
    """Calls learned per 20 s mean nothing per 60 s: a changed window starts afresh."""
    tenant.calls_per_20s = 40
    memory = FileLimitMemory(tmp_path / "limits")
    with mount(tenant):
        client = FxiaokeClient(FxiaokeSettings.model_validate(settings), limits=memory)
        for _ in range(100):
            client.post(PRESET_QUERY, QUERY)
        client.close()
        other = FxiaokeClient(
            FxiaokeSettings.model_validate({**settings, "rate_window_seconds": 60}),
            limits=memory,
        )
        window = other.limiter(PRESET_QUERY)
    assert window.limit is not None and window.limit.value == 100
    assert window is not client.limiter(PRESET_QUERY)


def test_clients_of_one_process_share_one_window_per_interface(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    """`hub check` then `hub sync` (or a worker running both): two clients, one
    window, so together they stay under 100 calls / 20 s."""
    check = FxiaokeClient(FxiaokeSettings.model_validate(settings))
    for _ in range(60):
        check.post(PRESET_QUERY, QUERY)
    sync = FxiaokeClient(FxiaokeSettings.model_validate(settings))
    for _ in range(60):
        sync.post(PRESET_QUERY, QUERY)
    assert refused(fake) == 0
    assert check.limiter(PRESET_QUERY) is sync.limiter(PRESET_QUERY)


def test_the_pace_never_falls_below_a_tenth_of_the_setting(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    """Another program's burst answers 30004 as well: however many come, the pace
    stays at 10 calls per 20 s or more, and the call still gets through."""
    fake.fail(30004, times=6)
    client = FxiaokeClient(FxiaokeSettings.model_validate(settings))
    assert client.post(PRESET_QUERY, QUERY)["errorCode"] == 0
    limit = client.limiter(PRESET_QUERY).limit
    assert limit is not None and limit.cuts >= 2 and limit.value == 10


def test_the_token_endpoint_is_paced_but_not_adapted(
    fake: FakeFxiaoke, settings: dict[str, Any]
) -> None:
    client = FxiaokeClient(FxiaokeSettings.model_validate(settings))
    client.post(PRESET_QUERY, QUERY)
    assert client.limiter("/cgi/corpAccessToken/get/V2").limit is None  # 10 a minute, fixed


# -- hub check and hub sync --------------------------------------------------------------


def make_project(root: Path, settings: dict[str, Any]) -> Project:
    project = Project(root)
    project.configure({"fx": {"adapter": "fxiaoke", **settings}})
    return project


@pytest.fixture
def big(vclock: VirtualClock) -> FakeFxiaoke:
    return populate(FakeFxiaoke(clock=vclock), SIZES)


@pytest.mark.parametrize("concurrent", [True, False], ids=["side-by-side", "one-by-one"])
def test_sync_runs_on_a_tighter_tenant_refuse_a_few_calls_then_none(
    concurrent: bool,
    big: FakeFxiaoke,
    vclock: VirtualClock,
    tmp_path: Path,
    new_process: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two complete syncs, as two scheduled runs: the tenant allows 40 calls per 20 s.
    Before the pacing adapted, each run met 15–23 × 30004 on this tenant. Now one
    reader meets one; streams read side by side also lose the calls already on
    their way when the first 30004 came: at most one per stream, since a stream
    that is refused cuts the pace before it sends again."""
    monkeypatch.delenv("HUB_STATE_DIR")  # as a user runs it: .hub/ beside hub.toml
    caplog.set_level(logging.INFO, logger="hub.adapters.fxiaoke")
    big.calls_per_20s = 40
    project = make_project(tmp_path, {**big.settings(HOST), "concurrent_streams": concurrent})
    with mount(big):
        first = project.sync(full_refresh=True)
        assert first.exit_code == ExitCode.OK
        in_first = refused(big)
        new_process()
        vclock.advance(60)
        assert project.sync(full_refresh=True).exit_code == ExitCode.OK
    streams = len(first.results)
    assert (1 <= in_first <= streams) if concurrent else in_first == 1
    assert refused(big) - in_first == 0
    assert "settled on" in caplog.text and "starting at" in caplog.text
    assert list((tmp_path / ".hub" / "limits").iterdir())  # kept beside hub.toml


def test_check_and_sync_in_one_process_count_in_one_window(
    big: FakeFxiaoke, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`hub check` spends calls of the query interface's window; the `hub sync`
    right after it in the same process (a worker, a script) counts them, so the
    pair stays under the documented 100 calls / 20 s: no call is refused."""
    settings = {**big.settings(HOST), "concurrent_streams": False}
    project = make_project(tmp_path, settings)
    config = str(project.config_path)
    with mount(big):
        assert hub_cli(["-C", config, "check"]) == ExitCode.OK
        spent_by_check = big.counters.queries.copy()
        assert sum(spent_by_check.values()) >= 5  # one probe per object
        assert hub_cli(["-C", config, "sync"]) == ExitCode.OK
    assert refused(big) == 0  # with a window per client: one 30004 per call check made
    capsys.readouterr()


def test_the_daily_quota_still_stops_the_sync_with_exit_6(big: FakeFxiaoke, tmp_path: Path) -> None:
    """30002 is not a throttle: the sync stops (state kept), the pace is not cut."""
    big.calls_per_20s = 40
    big.daily_quota = 60  # 30004-refused calls count against it too
    project = make_project(tmp_path, big.settings(HOST))
    with mount(big):
        report = project.sync()
    assert report.exit_code == ExitCode.QUOTA == 6
    stopped = [r for r in report.results if r.status == "quota"]
    assert stopped and all("daily OpenAPI quota exhausted" in r.error for r in stopped)
    assert big.used_today() == 60


# -- settings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("rate_window_seconds", 0, "greater than or equal to 1"),
        ("rate_window_seconds", 7200, "less than or equal to 3600"),
        ("rate_window_seconds", "20", "valid number"),
        ("rate_window_seconds", True, "valid number"),
        ("rate_window_seconds", float("nan"), "finite number"),
        ("rate_window_seconds", float("inf"), "finite number"),
        ("calls_per_20s", 0, "greater than or equal to 1"),
        ("calls_per_20s", True, "valid integer"),
        ("calls_per_20s", 2.5, "valid integer"),
        ("calls_per_20s", "100", "valid integer"),
    ],
)
def test_bad_pacing_settings_are_one_line_config_errors(
    key: str,
    value: Any,
    words: str,
    fake: FakeFxiaoke,
    settings: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = make_project(tmp_path, {**settings, key: value})
    assert hub_cli(["-C", str(project.config_path), "check"]) == ExitCode.CONFIG
    out = capsys.readouterr()
    text = (out.out + out.err).strip()
    assert len(text.splitlines()) == 1, text
    assert f"hub.toml: connections.fx.{key}: " in text and words in text
    assert fake.counters.token_calls == 0  # refused before any call


def test_a_whole_number_window_is_fine(settings: dict[str, Any]) -> None:
    assert (
        FxiaokeSettings.model_validate({**settings, "rate_window_seconds": 60}).rate_window_seconds
        == 60
    )
