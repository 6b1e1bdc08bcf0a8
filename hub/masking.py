"""Masking personal data (PIPL, GDPR) before it leaves the hub.

Phone numbers become `138****5678`, e-mail addresses `z***@example.com`,
resident ID numbers keep their first and last four characters, person names
keep their first character. Secrets (keys that look like passwords or
tokens, and every registered secret value) become `***`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from hub import secrets

_PHONE = re.compile(
    r"(?<![\w])(?:\+?\d{1,3}[\s-]?)?(?:1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8}|"
    r"\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4})(?![\w])"
)
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_MOBILE_DIGITS = re.compile(r"(86)?1[3-9]\d{9}")
_ID_CARD = re.compile(r"(?<![\w])(\d{4})\d{10}(\d{3}[\dXx])(?![\w])")

_SECRET_KEY = re.compile(
    r"pass(word)?|secret|token|api[_-]?key|credential|authorization|cookie|密码|口令", re.I
)
_PHONE_KEY = re.compile(r"phone|mobile|tel|fax|手机|电话|联系方式|座机|传真", re.I)
_EMAIL_KEY = re.compile(r"e-?mail|邮箱|邮件", re.I)
_PERSON_KEY = re.compile(
    r"^contact$|contact_?(name|person)|^person$|person_?name|联系人|姓名|法人|^name$"
    r"|first_?name|last_?name|full_?name|nick_?name|customer_?name|account_?name|owner_?name"
    r"|客户名称|客户经理|负责人|经理姓名|跟进人|wechat|weixin|微信",
    re.I,
)
_ID_KEY = re.compile(r"id_?card|身份证|passport|护照", re.I)


def mask_phone(value: str) -> str:
    if "*" in value:
        return value  # masked already (masking twice must not give digits back)
    digits = re.sub(r"\D", "", value)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_email(value: str) -> str:
    return _EMAIL.sub(lambda m: f"{m[1]}***@{m[2]}", value)


def mask_name(value: str) -> str:
    value = value.strip()
    if not value:
        return value
    return value[0] + "*" * min(max(len(value) - 1, 1), 3)


def mask_text(value: str) -> str:
    """Mask phone numbers, e-mails and ID numbers inside free text."""
    value = _ID_CARD.sub(lambda m: f"{m[1]}{'*' * 10}{m[2]}", value)
    value = _PHONE.sub(lambda m: mask_phone(m[0]), value)
    value = mask_email(value)
    return secrets.redact(value)


def has_unmasked_phone(value: str) -> bool:
    return bool(_PHONE.search(value))


def mask_value(key: str, value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    key = key.strip().replace(" ", "_").replace("-", "_")  # "Customer Name" -> customer_name
    if isinstance(value, int | float):
        # a phone number stored as a number is still a phone number
        digits = str(int(value)) if isinstance(value, int) or value.is_integer() else ""
        if digits and (_PHONE_KEY.search(key) or _MOBILE_DIGITS.fullmatch(digits)):
            return mask_phone(digits)
        return value
    if isinstance(value, Mapping):
        return mask_record(value)
    if isinstance(value, list | tuple):
        return [mask_value(key, v) for v in value]
    text = str(value)
    if _SECRET_KEY.search(key):
        return secrets.MASK if text else text
    if _PHONE_KEY.search(key):
        return mask_phone(text)
    if _EMAIL_KEY.search(key):
        return mask_email(text)
    if _ID_KEY.search(key):
        return text[:4] + "*" * max(len(text) - 8, 0) + text[-4:] if len(text) > 8 else "****"
    if _PERSON_KEY.search(key):
        return mask_name(text)
    return mask_text(text)


def mask_record(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a source record safe to store in rejects or show in reports."""
    return {str(k): mask_value(str(k), v) for k, v in raw.items()}


def mask_canonical(entity: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A canonical record (as a dict) with its personal data masked."""
    out = dict(data)
    for key in ("phone", "mobile", "email"):
        if out.get(key):
            out[key] = mask_email(out[key]) if key == "email" else mask_phone(out[key])
    for key in ("subject", "content"):
        if out.get(key):
            out[key] = mask_text(out[key])
    person = entity in ("managers", "contacts") or (
        entity == "customers" and out.get("kind") == "person"
    )
    if person and out.get("name"):
        out["name"] = mask_name(out["name"])
    if out.get("extra"):
        out["extra"] = mask_record(out["extra"])
    return out
