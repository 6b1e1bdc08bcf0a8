"""Test support: mount a `FakeFxiaoke` on a made-up host with respx.

with mount(fake):
    project.sync()   # every request to HOST is answered by the fake

`assert_paced` checks a list of call moments against a rate limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub_fxiaoke.fake import FakeFxiaoke

if TYPE_CHECKING:
    import respx

HOST = "https://open.fxiaoke.test"


def mount(fake: FakeFxiaoke, host: str = HOST) -> respx.MockRouter:
    """A respx router sending every request for `host` to the fake (needs respx)."""
    import respx
    from httpx import URL

    router = respx.mock(assert_all_called=False, assert_all_mocked=True)
    router.route(host=URL(host).host).mock(side_effect=fake.handle)
    return router


def assert_paced(moments: list[float], calls: int, window: float) -> None:
    """No `window` seconds hold more than `calls` of `moments`."""
    ordered = sorted(moments)
    for first, last in zip(ordered, ordered[calls:], strict=False):
        assert last - first >= window, f"{calls + 1} calls within {last - first:.2f} s"
