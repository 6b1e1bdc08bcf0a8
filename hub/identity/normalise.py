"""Normalised forms of the values identity compares.

Each function takes what a source wrote and returns the canonical form, or
None when there is nothing usable (an empty, malformed or invalid value
never becomes a key).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers
from stdnum.cn import uscc

_SPACE_PUNCT = re.compile(r"[\s\-_.,，。·・()（）\[\]【】'\"/\\&+:;!?#*@]+")
_NON_DIGIT = re.compile(r"\D+")
_CN_MOBILE = re.compile(r"^(?:00)?(?:86)?(1[3-9]\d{9})$")
_CJK = re.compile(r"[\u3400-\u9fff]")
_CODE_SEPARATORS = re.compile(r"[\s\-]+")
_USCC = re.compile(r"^[0-9]{8}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}$")

COMPANY_SUFFIXES = tuple(
    sorted(
        (
            "股份有限公司", "有限责任公司", "有限公司", "集团有限公司", "集团", "公司", "分公司",
            "co.,ltd.", "co., ltd.", "co.,ltd", "co., ltd", "co. ltd", "co ltd", "company limited",
            "company", "limited", "ltd.", "ltd", "inc.", "inc", "corporation", "corp.", "corp",
            "llc", "gmbh", "co.", "group",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
"""Legal-form endings that say nothing about which company it is."""

_PLACES = (
    "北京 天津 上海 重庆 河北 山西 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 "
    "江西 山东 河南 湖北 湖南 广东 海南 四川 贵州 云南 陕西 甘肃 青海 "
    "台湾 内蒙古 广西 西藏 宁夏 新疆 香港 澳门 深圳 广州 杭州 南京 苏州 "
    "武汉 成都 西安 厦门 宁波 青岛 大连 沈阳 长沙 郑州 济南 合肥 福州 "
    "无锡 东莞 佛山 "
)
PLACE_PREFIXES = tuple(sorted(_PLACES.split(), key=len, reverse=True))
"""Provinces and big cities, with 省/市/自治区 or bare, stripped from the front of
company names: 北京市华为 and 华为 are the same name."""

_PLACE = re.compile(
    "^(?:"
    + "|".join(PLACE_PREFIXES)
    + ")(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)?"
)


def text(value: str | None) -> str:
    """NFKC (full width to half width), trimmed, lower case."""
    if not value:
        return ""
    return unicodedata.normalize("NFKC", value).strip().lower()


def email(value: str | None) -> str | None:
    found = text(value).replace(" ", "")
    local, at, domain = found.partition("@")
    if not at or not local or "." not in domain or "@" in domain:
        return None
    return found


def email_domain(value: str | None) -> str | None:
    found = email(value)
    return found.partition("@")[2] if found else None


def phone(value: str | None, region: str = "CN") -> str | None:
    """E.164 (`+8613800138000`). `138 0013 8000`, `+86-138…` and `86138…`
    are one number; what phonenumbers cannot read as a possible number is None.

    Chinese mobiles in any of their usual spellings take a fast path that
    gives what phonenumbers gives (a test checks it)."""
    raw = text(value)
    if not raw:
        return None
    digits = _NON_DIGIT.sub("", raw)
    if len(digits) < 5:
        return None
    if (region == "CN" and not raw.startswith("+")) or raw.startswith("+86"):
        match = _CN_MOBILE.match(digits)
        if match:
            return "+86" + match[1]
    return _phone_slow(raw, region)


@lru_cache(maxsize=65536)
def _phone_slow(raw: str, region: str) -> str | None:
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        digits = _NON_DIGIT.sub("", raw)
        try:
            parsed = phonenumbers.parse("+" + digits, None)
        except phonenumbers.NumberParseException:
            return None
    if not phonenumbers.is_possible_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def employee_number(value: str | None) -> str | None:
    found = _SPACE_PUNCT.sub("", text(value)).upper()
    return found or None


def credit_code(value: str | None) -> tuple[str | None, bool]:
    """(the code with case, blanks and full width normalised, valid?). The
    GB 32100 check character decides validity (python-stdnum)."""
    found = _CODE_SEPARATORS.sub("", text(value)).upper()
    if not found:
        return None, False
    # the format check of stdnum's validate(), then its check character
    return found, bool(_USCC.match(found)) and uscc.calc_check_digit(found) == found[-1]


def company_name(value: str | None) -> str:
    """Name without legal-form suffixes, place prefixes, blanks and punctuation."""
    name = text(value)
    changed = True
    while changed:
        changed = False
        for suffix in COMPANY_SUFFIXES:
            if name.endswith(suffix) and len(name) > len(suffix):
                name = name[: -len(suffix)].rstrip(" ,.")
                changed = True
                break
    name = _SPACE_PUNCT.sub("", name)
    stripped = _PLACE.sub("", name)
    return stripped if len(stripped) >= 2 else name


def person_name(value: str | None) -> str:
    return _SPACE_PUNCT.sub("", text(value))


def has_cjk(value: str) -> bool:
    return bool(_CJK.search(value))


@lru_cache(maxsize=262144)
def syllables(value: str | None) -> tuple[str, ...]:
    """A name as lower-case latin syllables or words: 张伟 -> (zhang, wei),
    `Zhang Wei` -> (zhang, wei). Chinese is read with pypinyin (no tones)."""
    raw = text(value)
    if not raw:
        return ()
    if has_cjk(raw):
        # imported here: its phrase dictionary takes a quarter of a second to
        # load, which every `hub` command paid, a re-sync with nothing to match too
        from pypinyin import Style, lazy_pinyin

        parts = lazy_pinyin(raw, style=Style.NORMAL, errors="ignore")
        return tuple(p for p in (_SPACE_PUNCT.sub("", x) for x in parts) if p)
    return tuple(p for p in _SPACE_PUNCT.split(raw) if p)


def pinyin_key(value: str | None) -> str:
    """Syllables in order, joined: 张伟 and `Zhang Wei` -> `zhangwei`."""
    return "".join(syllables(value))


def pinyin_sorted(value: str | None) -> str:
    """Syllables sorted, joined: also `Wei Zhang` -> `weizhang`."""
    return "".join(sorted(syllables(value)))
