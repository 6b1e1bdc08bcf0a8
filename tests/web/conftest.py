"""A small company for the dashboard's tests: two teams, four managers, two
quarters of rule results, and one user per role.

The store is built once per session with `RuleTestbed` and the demo's rules;
each test gets its own copy of the file, so tests that write (inquiries,
users) do not see each other.
"""

from __future__ import annotations

import re
import shutil
import tomllib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from hub.config import load_config
from hub.identity.resolve import match_all
from hub.rules.testing import RuleTestbed, activity, customer, goal, manager, order
from hub.web import users

warnings.filterwarnings("ignore", message="Using `httpx` with")

from starlette.testclient import TestClient  # noqa: E402

from hub.web.app import create_app  # noqa: E402

PASSWORD = "correct horse battery"
USERS = {
    "ada": ("admin", None, None),
    "lee": ("lead", None, "north"),
    "mia": ("manager", "M1", None),
    "max": ("manager", "M3", None),
}
"""user name -> (role, manager source id, team)."""


def demo_rules() -> dict:
    text = (resources.files("hub.demo") / "data" / "rules.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["rules"]


def build_company(root: Path, store_url: str | None = None) -> RuleTestbed:
    bed = RuleTestbed(root, store_url)
    bed.add(
        manager(
            "M1", name="张伟", team="north", email="zhang.wei@example.com", phone="13812345678"
        ),
        manager(
            "M2", name="王芳", team="north", email="wang.fang@example.com", phone="13900001111"
        ),
        manager("M3", name="李娜", team="south", email="li.na@example.com", phone="13700002222"),
        manager("M4", name="刘洋", team="south", email="liu.yang@example.com"),
    )
    records = []
    tiers = ["A", "B", "C"]
    for m in range(1, 5):
        for c in range(1, 7):
            cid = f"C{m}{c}"
            kind = "person" if c == 6 else "company"
            name = f"客户{cid}有限公司" if kind == "company" else "赵敏"
            records.append(
                customer(cid, owner=f"M{m}", tier=tiers[c % 3], name=name, kind=kind,
                         phone=f"1381234{m}{c}00", industry="制造", region="华东")
            )  # fmt: skip
    bed.add(*records)
    acts = []
    n = 0
    for quarter, months in (("2026-Q2", (4, 5, 6)), ("2026-Q3", (7, 8, 9))):
        for m in range(1, 5):
            for month in months:
                for c in range(1, 7 - m):
                    n += 1
                    acts.append(
                        order(f"O{n}", f"C{m}{c}", f"M{m}", 20000 * (5 - m) + 1000 * c,
                              f"2026-{month:02d}-{10 + c:02d} 10:00")
                    )  # fmt: skip
                    n += 1
                    acts.append(
                        activity(f"A{n}", "call" if c % 2 else "visit", f"C{m}{c}", f"M{m}",
                                 f"2026-{month:02d}-{5 + c:02d} 15:00",
                                 subject=f"回访 13812345678 {c}")
                    )  # fmt: skip
            acts.append(goal(f"M{m}", "sales_amount", quarter, 600000, unit="CNY", weight="0.6"))
            acts.append(goal(f"M{m}", "contact_count", quarter, 30, weight="0.4"))
    bed.add(*acts)
    bed.add(manager("H4", source="hr", name="刘洋"))  # 刘洋 again, nothing else: to review
    bed.configure(demo_rules())
    match_all(bed.store, bed.config)
    bed.run("2026-Q2", "2026-07-01 00:00")
    bed.run("2026-Q3", "2026-09-30 23:00")
    with bed.store.begin() as conn:
        for name, (role, ref, team) in USERS.items():
            users.add(conn, name, role, password=PASSWORD, manager=ref, team=team)
    bed.store.dispose()
    return bed


@pytest.fixture(scope="session")
def company_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("company")
    build_company(root)
    return root


@dataclass
class Company:
    root: Path

    @property
    def config(self):
        return load_config(self.root / "hub.toml")

    def client(self, username: str | None = None, **headers: str) -> TestClient:
        client = TestClient(create_app(self.config), headers=headers or None)
        if username:
            login(client, username)
        return client

    def manager_id(self, ref: str) -> str:
        from sqlalchemy import select

        from hub.store.database import Store
        from hub.store.tables import entity_tables

        m = entity_tables["managers"]
        with Store(self.config.store_url()).read() as conn:
            return conn.execute(select(m.c.id).where(m.c.source_id == ref)).scalar_one()


@pytest.fixture
def company(company_template: Path, tmp_path: Path) -> Iterator[Company]:
    root = tmp_path / "company"
    shutil.copytree(company_template, root)
    text = (root / "hub.toml").read_text(encoding="utf-8")
    text = re.sub(r'store = "[^"]*"', f'store = "sqlite:///{root / "hub.db"}"', text)
    (root / "hub.toml").write_text(text, encoding="utf-8")
    yield Company(root)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found[1]


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
