"""A contacts file (联系人): people at the customers, with Chinese headers."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from hub.errors import ExitCode
from hub.store.tables import rejects
from hub.testing import Project

CONTACTS = (
    "联系人编号,联系人姓名,所属客户,负责人,手机,邮箱,主联系人,职位,同意营销\n"
    "P1,王采购,C1,M1,13812345678,wang@example.cn,是,采购经理,否\n"
    "P2,李财务,C1,M1,13812345679,,否,财务,\n"
    "P3,,C2,M1,13912345678,nobody@example.cn,否,,\n"
)


def project_with(tmp_path: Path, contacts: str) -> Project:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "managers.csv").write_text("id,name\nM1,张经理\n", encoding="utf-8")
    (data / "customers.csv").write_text("id,name,owner\nC1,甲公司,M1\nC2,乙公司,M1\n", "utf-8")
    (data / "contacts.csv").write_text(contacts, encoding="utf-8")
    project = Project(tmp_path)
    project.configure({"files": {"adapter": "csv", "folder": str(data)}})
    return project


def test_contacts_link_to_customers_and_a_nameless_row_is_rejected(tmp_path: Path) -> None:
    project = project_with(tmp_path, CONTACTS)
    report = project.sync()
    assert report.exit_code == ExitCode.REJECTS
    rows = {r["source_id"]: r for r in project.rows("contacts")}
    customers = {r["source_id"]: r for r in project.rows("customers")}
    assert set(rows) == {"P1", "P2"}
    p1 = rows["P1"]
    assert p1["customer_id"] == customers["C1"]["id"] and p1["owner_id"] is not None
    assert (p1["mobile"], p1["is_primary"], p1["marketing_consent"], p1["title"]) == (
        "13812345678",
        True,
        False,
        "采购经理",
    )
    with project.store.read() as conn:
        (reject,) = conn.execute(select(rejects.c.reason, rejects.c.location, rejects.c.raw))
    assert "contacts.csv" in reject.location and "name" in reject.reason
    assert "13912345678" not in str(reject.raw) and "nobody@" not in str(reject.raw)


def test_a_contact_removed_from_the_file_is_tombstoned(tmp_path: Path) -> None:
    project = project_with(tmp_path, CONTACTS)
    project.sync()
    (tmp_path / "data" / "contacts.csv").write_text(
        CONTACTS.splitlines()[0] + "\nP1,王采购,C1,M1,13700000000,wang@example.cn,是,采购总监,否\n",
        encoding="utf-8",
    )
    report = project.sync()
    assert report.exit_code == ExitCode.OK, report.results
    rows = {r["source_id"]: r for r in project.rows("contacts")}
    assert rows["P1"]["deleted_at"] is False and rows["P1"]["title"] == "采购总监"
    assert rows["P2"]["deleted_at"] is True
