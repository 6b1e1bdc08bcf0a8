"""The column-wise normalisation gives what the per-value reference gives."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from hub.identity import frame as F
from hub.identity import normalise as n

PIECES = [
    *"张王李伟芳华为腾讯科技贸易有限公司股份责任集团省市区",
    *"abcxyzABCXYZ", *"０１２３ＡＢＣａｂｃ", *"0123456789", "٣", "１３８",
    " ", "  ", "\u3000", "\xa0", "\t", "\x1c", "\n",
    *"-_.,，。·・()（）[]【】'\"/\\&+:;!?#*@", "İ", "Σ", "ß", "ﬁ",
    "有限公司", "股份有限公司", " Co., Ltd.", "co.,ltd", " Inc.", " Limited", "Group",
    "北京", "北京市", "上海", "广东省", "内蒙古自治区", "深圳", "@example.com", "@qq.com", ".cn",
    "138", "0013", "8000", "+86", "86", "00", "010-", "6552", "9988", "+1 650", "253",
    "91110108", "MA01ABCD2X", "ma01abcd2x", "600037341L", "9111000060003734",
]  # fmt: skip


def dirty(rnd: random.Random) -> str | None:
    if rnd.random() < 0.05:
        return None
    return "".join(rnd.choice(PIECES) for _ in range(rnd.randint(0, 8)))


def code_like(rnd: random.Random) -> str | None:
    """Valid and nearly valid credit codes in the spellings sources use."""
    if rnd.random() < 0.3:
        return dirty(rnd)
    body = "".join(rnd.choice("0123456789") for _ in range(8))
    body += "".join(rnd.choice(F._ALPHABET) for _ in range(9))
    total = sum(F._ALPHABET.index(c) * w for c, w in zip(body, F._WEIGHTS, strict=True))
    code = body + F._ALPHABET[(31 - total) % 31]
    if rnd.random() < 0.3:
        code = code[:-1] + rnd.choice(F._ALPHABET)
    spelled = rnd.choice([code, code.lower(), f" {code[:8]} {code[8:]} ", code.translate(FULL)])
    return spelled


FULL = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHJKLMNPQRTUWXY"})
VALUES = 20_000


@pytest.fixture(scope="module")
def values() -> list[str | None]:
    rnd = random.Random(20261208)
    return [dirty(rnd) for _ in range(VALUES)]


@pytest.mark.parametrize(
    ("vectorised", "reference"),
    [
        (F.text, n.text),
        (F.person_name, n.person_name),
        (F.company_name, n.company_name),
        (F.email, n.email),
        (F.employee_number, n.employee_number),
        (F.pinyin_sorted, n.pinyin_sorted),
        (lambda v: F.phone(v, "CN"), lambda v: n.phone(v, "CN")),
        (lambda v: F.phone(v, "US"), lambda v: n.phone(v, "US")),
    ],
    ids=["text", "person", "company", "email", "employee", "pinyin", "phone-CN", "phone-US"],
)
def test_column_and_reference_agree(values, vectorised, reference) -> None:
    got = vectorised(pa.array(values, pa.string())).to_pylist()
    for value, result in zip(values, got, strict=True):
        assert result == reference(value), repr(value)


def test_credit_codes_agree_with_the_reference_and_stdnum() -> None:
    rnd = random.Random(7)
    values = [code_like(rnd) for _ in range(VALUES)]
    codes, valid = F.credit_code(pa.array(values, pa.string()))
    for value, code, ok in zip(values, codes.to_pylist(), valid.to_pylist(), strict=True):
        assert (code, ok) == n.credit_code(value), repr(value)
    assert sum(valid.to_pylist()) > VALUES // 4  # the generator makes valid ones too


def test_phone_numbers_in_every_spelling_as_a_column() -> None:
    spelled = ["138 0013 8000", "+86-138-0013-8000", "8613800138000", "１３８００１３８０００",
               "010-6552 9988", "+1 650 253 0000", "n/a", "", None, "123"]  # fmt: skip
    assert F.phone(pa.array(spelled, pa.string())).to_pylist() == [
        *["+8613800138000"] * 4,
        "+861065529988",
        "+16502530000",
        None,
        None,
        None,
        None,
    ]
