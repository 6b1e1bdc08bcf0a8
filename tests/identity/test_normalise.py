"""Normalised forms: the fast paths give what the libraries give."""

from __future__ import annotations

import random

import phonenumbers
import pytest
from stdnum.cn import uscc

from hub.identity import normalise as n


@pytest.mark.parametrize(
    "raw",
    ["138 0013 8000", "+86-138-0013-8000", "8613800138000", "+8613800138000", "008613800138000",
     "13800138000", "１３８００１３８０００", " 138-0013-8000 "],
)  # fmt: skip
def test_one_mobile_in_every_spelling(raw: str) -> None:
    assert n.phone(raw) == "+8613800138000"


def test_mobile_fast_path_agrees_with_phonenumbers() -> None:
    rnd = random.Random(3)
    for _ in range(2000):
        number = "1" + rnd.choice("3456789") + "".join(rnd.choice("0123456789") for _ in range(9))
        spelled = rnd.choice([number, f"+86 {number}", f"86{number}", f"{number[:3]} {number[3:]}"])
        parsed = phonenumbers.parse(spelled, "CN")
        assert n.phone(spelled) == phonenumbers.format_number(
            parsed, phonenumbers.PhoneNumberFormat.E164
        )


def test_landlines_foreign_numbers_and_rubbish() -> None:
    assert n.phone("010-6552 9988") == "+861065529988"
    assert n.phone("+1 650 253 0000") == "+16502530000"
    assert n.phone("650 253 0000", "US") == "+16502530000"
    for rubbish in ("", None, "n/a", "123", "未知"):
        assert n.phone(rubbish) is None


def test_credit_codes_case_blanks_full_width_and_the_check_character() -> None:
    assert n.credit_code("91110108ma01abcd2h") == ("91110108MA01ABCD2H", True)
    assert n.credit_code("９１１１０１０８ＭＡ０１ＡＢＣＤ２Ｈ") == ("91110108MA01ABCD2H", True)
    assert n.credit_code("911101 08MA01ABCD2H") == ("91110108MA01ABCD2H", True)
    assert n.credit_code("91110108MA01ABCD2X") == ("91110108MA01ABCD2X", False)
    assert n.credit_code("") == (None, False)
    rnd = random.Random(5)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ"
    for _ in range(5000):
        code = "".join(rnd.choice("0123456789") for _ in range(8)) + "".join(
            rnd.choice(alphabet) for _ in range(10)
        )
        assert n.credit_code(code)[1] == uscc.is_valid(code)


def test_company_names_and_pinyin() -> None:
    assert (
        n.company_name("北京市华为技术有限公司")
        == n.company_name("华为技术股份有限公司")
        == "华为技术"
    )
    assert (
        n.company_name("Acme Trading Co., Ltd.")
        == n.company_name("ACME TRADING LIMITED")
        == "acmetrading"
    )
    assert n.company_name("上海有限公司") == "上海"  # never stripped to nothing
    assert n.pinyin_sorted("张伟") == n.pinyin_sorted("Zhang Wei") == n.pinyin_sorted("Wei Zhang")
    assert n.email(" Li.Na@ACME.example ") == "li.na@acme.example"
    assert n.email("not-an-address") is None
