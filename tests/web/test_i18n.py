"""Language choice and formatting per locale."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from hub.web.i18n import MESSAGES, Locale, pick

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_users_choice_wins_then_the_browsers_preference() -> None:
    assert pick("zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert pick("en-GB,en;q=0.9,zh-TW;q=0.8") == "en"
    assert pick("fr-FR, zh-Hans;q=0.5") == "zh-CN"  # the first supported one
    assert pick("de, en;q=0.3, zh;q=0.7") == "zh-CN"  # by weight, not order
    assert pick(None) == pick("") == pick("fr") == "en"
    assert pick("zh-CN", "en") == "en"
    assert pick("en", "klingon") == "en"
    assert pick("en;q=nonsense, zh") == "zh-CN"


def test_money_numbers_percent_and_dates_per_locale() -> None:
    zh, en = Locale("zh-CN", SHANGHAI), Locale("en", SHANGHAI)
    assert zh.money(Decimal("1234567.5"), "CNY") == "¥1,234,567.50"
    assert en.money(Decimal("1234567.5"), "CNY") == "CN¥1,234,567.50"
    assert en.money(Decimal("-20"), "USD") == "-US$20.00"
    assert en.money(Decimal("3"), "XYZ") == "XYZ 3.00"
    assert zh.money(None, "CNY") == "—"
    assert en.percent(Decimal("1.0848")) == "108.5%"
    assert en.number(Decimal("1500")) == "1,500" and en.number(Decimal("2.5")) == "2.50"
    moment = dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.UTC)  # 00:30 on 1 Oct in Shanghai
    assert zh.date(moment) == "2026年10月1日 00:30"
    assert en.date(moment) == "01 Oct 2026 00:30"


def test_every_message_has_both_languages() -> None:
    for key, (english, chinese) in MESSAGES.items():
        assert english and chinese, key
    assert Locale("zh-CN", SHANGHAI).t("whatif_hint", currency="CNY").startswith("如果")
