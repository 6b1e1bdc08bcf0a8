"""End to end in headless Chromium: each role logs in, opens each page, the
charts draw, nothing logs a console error, a manager cannot open another
manager's page. Screenshots of the main pages are kept as artifacts: in
$HUB_WEB_SCREENSHOTS if set, else in pytest's temporary folder.

Needs Debian's `chromium` (`apt-get install chromium`); without it these tests
are skipped and say so, unless HUB_WEB_BROWSER_TESTS=required (as in CI).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import PASSWORD, Company

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    if os.environ.get("HUB_WEB_BROWSER_TESTS") == "required":
        raise RuntimeError("HUB_WEB_BROWSER_TESTS=required but chromium is not installed")
    pytest.skip("browser tests need chromium (apt-get install chromium)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")
uvicorn = pytest.importorskip("uvicorn")

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(company: Company) -> Iterator[str]:
    from hub.web.app import create_app

    port = _free_port()
    config = uvicorn.Config(create_app(company.config), host="127.0.0.1", port=port,
                            log_level="warning")  # fmt: skip
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    for _ in range(100):
        if running.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("HUB_WEB_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


PAGES = {
    "admin": ["/overview", "/managers/M1", "/findings", "/customers", "/sync", "/identity",
              "/inquiries"],
    "lead": ["/overview", "/managers/M2", "/findings", "/customers", "/inquiries"],
    "manager": ["/managers/M1", "/findings", "/customers", "/inquiries"],
}  # fmt: skip
USER = {"admin": "ada", "lead": "lee", "manager": "mia"}
CHARTS = {"/overview": 2, "/managers/M1": 4, "/managers/M2": 4, "/findings": 1, "/sync": 1}


def _login(page: object, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_load_state()


@pytest.mark.parametrize("role", ["admin", "lead", "manager"])
def test_each_role_opens_each_page_charts_draw_no_console_errors(
    server: str, browser: object, shots: Path, role: str
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  locale="zh-CN" if role == "lead" else "en-US")  # fmt: skip
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, server, USER[role])
    for path in PAGES[role]:
        response = page.goto(f"{server}{path}")
        assert response.status == 200, f"{role} {path}: {response.status}"
        drawn = page.locator(".chart[data-drawn='1'] svg")
        expected = CHARTS.get(path, 0)
        if expected:
            drawn.first.wait_for()
            assert drawn.count() == expected, f"{role} {path}"
            for i in range(expected):  # an SVG with shapes in it, not an empty frame
                assert drawn.nth(i).locator("path").count() > 3, f"{role} {path} chart {i}"
        name = f"{role}{path.replace('/', '-')}.png"
        page.screenshot(path=str(shots / name), full_page=True)
    assert errors == [], errors
    context.close()


def test_a_manager_cannot_open_another_managers_page(server: str, browser: object) -> None:
    context = browser.new_context()
    page = context.new_page()
    _login(page, server, "mia")
    response = page.goto(f"{server}/managers/M3")
    assert response.status == 403
    assert "You may not see this page" in page.content()
    assert page.locator(".chart").count() == 0
    context.close()


def test_bad_input_shows_a_friendly_page(server: str, browser: object) -> None:
    context = browser.new_context()
    page = context.new_page()
    _login(page, server, "ada")
    for path, status in (("/overview?period=2099-Q4", 404), ("/findings?severity=x", 400),
                         ("/managers/NOBODY", 404)):  # fmt: skip
        response = page.goto(f"{server}{path}")
        assert response.status == status
        assert page.locator("p.error-message").count() == 1
        assert "Traceback" not in page.content()
    context.close()


def test_what_if_and_inquiry_through_the_forms(server: str, browser: object) -> None:
    context = browser.new_context()
    page = context.new_page()
    _login(page, server, "mia")
    page.goto(f"{server}/managers/M1?period=2026-Q3")
    page.fill("input[name=amount]", "50000")
    page.click("#whatif button.primary")
    page.locator("#whatif-result").wait_for()
    assert "CN¥3,500.00" in page.locator("#whatif-result").inner_text()  # 7 % top band
    page.select_option("select[name=line]", "commission/commission")
    page.fill("textarea[name=comment]", "order O7 is missing")
    page.click("#inquiries button.primary")
    page.wait_for_load_state()
    assert "order O7 is missing" in page.locator("#inquiries").inner_text()
    context.close()
