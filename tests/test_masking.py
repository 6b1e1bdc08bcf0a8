"""Personal data is masked wherever it leaves the hub."""

from __future__ import annotations

import pytest

from hub import secrets
from hub.masking import has_unmasked_phone, mask_canonical, mask_record, mask_text


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("call 13812345678 tomorrow", "call 138****5678 tomorrow"),
        ("tel: +86 138-1234-5678", "tel: 861******5678"),
        ("座机 021-12345678", "座机 021****5678"),
        ("mail zhang.wei@example.com", "mail z***@example.com"),
        ("ID 110101199003071234", "ID 1101**********1234"),
        ("order 2026-09-30 for ¥1,234.50", "order 2026-09-30 for ¥1,234.50"),
    ],
)
def test_free_text(text: str, masked: str) -> None:
    assert mask_text(text) == masked
    assert not has_unmasked_phone(mask_text(text))


def test_records_are_masked_by_key_and_by_content() -> None:
    secrets.register(["s3cr3t-token"])
    raw = {
        "手机": "13912345678",
        "Phone": 13912345678,  # a number, still a phone
        "Mobile_Owner": 13700000000,
        "Amount": 1500000,
        "last_contact": "2026-09-01",
        "联系人": "张伟",
        "邮箱": "li@example.cn",
        "password": "hunter2",
        "note": "uses s3cr3t-token, call 13612345678",
        "nested": {"mobile": "13512345678"},
    }
    masked = mask_record(raw)
    assert masked["手机"] == "139****5678"
    assert masked["Phone"] == "139****5678"
    assert masked["Mobile_Owner"] == "137****0000"
    assert masked["Amount"] == 1500000  # money is not a phone number
    assert masked["last_contact"] == "2026-09-01"
    assert masked["联系人"] == "张*"
    assert masked["邮箱"] == "l***@example.cn"
    assert masked["password"] == "***"
    assert masked["note"] == "uses ***, call 136****5678"
    assert masked["nested"] == {"mobile": "135****5678"}


def test_canonical_records_keep_company_names_but_mask_people() -> None:
    company = mask_canonical(
        "customers", {"name": "上海甲有限公司", "kind": "company", "phone": "13812345678"}
    )
    person = mask_canonical("customers", {"name": "王小明", "kind": "person", "phone": None})
    assert company == {"name": "上海甲有限公司", "kind": "company", "phone": "138****5678"}
    assert person["name"] == "王**"


def test_names_and_messenger_ids_in_rejects_are_masked() -> None:
    raw = {
        "客户名称": "王小明",
        "微信号": "wx_123456",
        "负责人": "张伟",
        "Customer Name": "Li Lei",
        "跟进内容": "电话 13912345678",
    }
    masked = mask_record(raw)
    assert masked == {
        "客户名称": "王**",
        "微信号": "w***",
        "负责人": "张*",
        "Customer Name": "L***",
        "跟进内容": "电话 139****5678",
    }


def test_manager_names_are_masked_in_exports() -> None:
    assert (
        mask_canonical("managers", {"name": "孔勇艳", "email": "m@example.com"})["name"] == "孔**"
    )


def test_contacts_are_people_in_exports() -> None:
    masked = mask_canonical(
        "contacts",
        {"name": "王采购", "mobile": "13812345678", "phone": "021-62345678", "email": "w@x.cn"},
    )
    assert masked == {
        "name": "王**",
        "mobile": "138****5678",
        "phone": "021****5678",
        "email": "w***@x.cn",
    }


def test_expansions_of_employees_are_masked_nickname_too() -> None:
    masked = mask_record({"owner__r": {"id": "1000", "name": "张三丰", "nickname": "老张"}})
    assert masked["owner__r"]["nickname"] == "老*"
    assert masked["owner__r"]["name"] == "张**"
