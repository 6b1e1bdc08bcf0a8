"""Languages of the dashboard (en, zh-CN) and numbers, money and dates per locale.

The language is the user's choice if they made one, else the browser's
(Accept-Language), else English. Two locales need no library: both group
thousands with "," and use "." for decimals; they differ in currency symbols,
date order and the words, which are in the table below.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

LANGUAGES = ("en", "zh-CN")

_SYMBOLS = {
    "en": {"CNY": "CN¥", "USD": "US$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"},
    "zh-CN": {"CNY": "¥", "USD": "US$", "EUR": "€", "HKD": "HK$", "JPY": "JP¥", "GBP": "£"},
}

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (en, zh-CN)
    "app": ("Hub dashboard", "客户经理看板"),
    "overview": ("Team overview", "团队总览"),
    "findings": ("Compliance findings", "合规发现"),
    "customers": ("Customers", "客户"),
    "sync": ("Sync health", "同步状态"),
    "identity": ("Identity review", "身份核对"),
    "inquiries": ("Inquiries", "申诉"),
    "users": ("Users", "用户"),
    "login": ("Log in", "登录"),
    "logout": ("Log out", "退出"),
    "username": ("User name", "用户名"),
    "password": ("Password", "密码"),
    "period": ("Period", "期间"),
    "show": ("Show", "查看"),
    "manager": ("Manager", "客户经理"),
    "managers": ("Managers", "客户经理"),
    "team": ("Team", "团队"),
    "teams": ("Teams", "团队"),
    "score": ("Score", "综合得分"),
    "rank": ("Rank", "排名"),
    "status": ("Status", "状态"),
    "attainment": ("Attainment", "达成率"),
    "attainment_by_manager": ("Attainment by manager", "客户经理达成率"),
    "trend": ("Team score over the last periods", "近几期团队得分趋势"),
    "scorecard": ("Scorecard by KPI", "KPI 记分卡"),
    "goal_vs_actual": ("Goal vs actual per month", "每月目标与实际"),
    "customers_by_tier": ("Customers by tier", "客户分级"),
    "timeline": ("Activity timeline", "跟进时间线"),
    "open_findings": ("Open findings", "待处理合规发现"),
    "statement": ("Incentive statement", "激励对账单"),
    "how_reached": ("How every number was reached", "每个数字的计算过程"),
    "payable": ("Payable", "应付"),
    "earned": ("Earned to date", "累计应得"),
    "paid": ("Paid to date", "累计已付"),
    "earnings": ("Earnings", "激励明细"),
    "awards": ("Awards", "奖项"),
    "metric": ("KPI", "指标"),
    "actual": ("Actual", "实际"),
    "target": ("Target", "目标"),
    "weight": ("Weight", "权重"),
    "goal": ("Goal", "目标"),
    "month": ("Month", "月份"),
    "tier": ("Tier", "级别"),
    "count": ("Count", "数量"),
    "kind": ("Kind", "类型"),
    "when": ("When", "时间"),
    "subject": ("Subject", "主题"),
    "customer": ("Customer", "客户"),
    "owner": ("Owner", "负责人"),
    "region": ("Region", "地区"),
    "last_contact": ("Last contact", "最近联系"),
    "days_since": ("Days since", "距今天数"),
    "never": ("never", "从未"),
    "search": ("Search", "搜索"),
    "search_hint": ("name or id", "名称或编号"),
    "all": ("all", "全部"),
    "rule": ("Rule", "规则"),
    "severity": ("Severity", "严重程度"),
    "message": ("Message", "说明"),
    "action": ("Suggested action", "建议措施"),
    "evidence": ("Evidence", "证据"),
    "download_csv": ("Download CSV", "下载 CSV"),
    "filter": ("Filter", "筛选"),
    "per_rule": ("Per rule", "按规则汇总"),
    "runs": ("Sync runs", "同步记录"),
    "started": ("Started", "开始"),
    "finished": ("Finished", "结束"),
    "connection": ("Connection", "连接"),
    "stream": ("Stream", "数据流"),
    "freshness": ("Freshness per connection", "各连接数据新鲜度"),
    "last_success": ("Last successful sync", "最近成功同步"),
    "age": ("Age", "距今"),
    "rejects": ("Open rejects", "未处理的拒收记录"),
    "reason": ("Reason", "原因"),
    "where": ("Where", "位置"),
    "read": ("read", "读取"),
    "new": ("new", "新增"),
    "inserted": ("new", "新增"),
    "updated": ("updated", "更新"),
    "deleted": ("deleted", "删除"),
    "rejected": ("rejected", "拒收"),
    "error": ("Error", "错误"),
    "not_available": ("Not available", "暂不可用"),
    "identity_missing": (
        "Identity resolution is not installed in this version of the hub yet.",
        "当前版本尚未包含身份识别功能。",
    ),
    "raise_inquiry": ("Question this line", "对此项提出申诉"),
    "inquiry_kind": ("What is wrong", "问题类型"),
    "missing_credit": ("Missing credit", "业绩未计入"),
    "wrong_amount": ("Wrong amount", "金额有误"),
    "other": ("Other", "其他"),
    "comment": ("Comment", "说明"),
    "submit": ("Submit", "提交"),
    "line": ("Line", "对账项"),
    "history": ("History", "处理记录"),
    "move_to": ("Move to", "变更为"),
    "Submitted": ("Submitted", "已提交"),
    "In review": ("In review", "审核中"),
    "Resolved": ("Resolved", "已解决"),
    "Denied": ("Denied", "已驳回"),
    "whatif": ("What if…", "假如……"),
    "whatif_hint": (
        "If I close this much more this period (in {currency}):",
        "如果本期再成交（{currency}）：",
    ),
    "estimate": ("Estimate", "估算"),
    "whatif_note": (
        "Computed by the configured rules on a copy of this period's data with one more order; "
        "nothing is stored.",
        "按已配置的规则、在本期数据上加一笔假设订单计算；不保存任何结果。",
    ),
    "now": ("Now", "当前"),
    "with_more": ("With {amount} more", "再成交 {amount} 后"),
    "difference": ("Difference", "差额"),
    "language": ("Language", "语言"),
    "masked_note": ("Personal data is masked for your role.", "根据您的角色，个人信息已脱敏。"),
    "version": ("version", "版本"),
    "closed": ("closed", "已关账"),
    "no_results": ("No results for this period yet.", "该期间暂无结果。"),
    "none": ("None.", "无。"),
    "page": ("Page", "页"),
    "previous": ("Previous", "上一页"),
    "next": ("Next", "下一页"),
    "of_total": ("of {total}", "共 {total} 条"),
    "forbidden": ("You may not see this page.", "您无权查看此页面。"),
    "not_found": ("Not found", "未找到"),
    "bad_request": ("That request could not be understood", "无法理解该请求"),
    "back": ("Back to the overview", "返回总览"),
    "login_failed": ("Wrong user name or password.", "用户名或密码错误。"),
    "too_many": (
        "Too many failed logins; try again in a few minutes.",
        "登录失败次数过多，请几分钟后再试。",
    ),
    "csrf": ("The form expired; please try again.", "表单已过期，请重试。"),
    "members": ("managers", "名客户经理"),
    "avg_score": ("Average score", "平均得分"),
    "behind": ("Behind goal (< 100 %)", "未达标（< 100%）"),
    "total_payable": ("Total payable", "应付合计"),
    "goals": ("Goals", "目标明细"),
    "nothing_to_review": ("Nothing to review.", "没有需要核对的记录。"),
    "identity_hint": (
        "Pairs that matching could not decide. Your decision is kept across syncs "
        "(as `hub identity link|unlink`).",
        "自动匹配无法判定的记录对。您的决定在以后的同步中一直有效"
        "（同 `hub identity link|unlink`）。",
    ),
    "first_n": (
        "Showing the first {n}; the CSV download has them all.",
        "仅显示前 {n} 条；下载 CSV 可获得全部。",
    ),
    "same": ("Same", "是同一个"),
    "not_same": ("Not the same", "不是同一个"),
    # KPIs (goal metrics)
    "sales_amount": ("Sales", "销售额"),
    "payment_amount": ("Payments", "回款额"),
    "order_count": ("Orders", "订单数"),
    "order_completion_rate": ("Order completion", "订单完成率"),
    "new_customers": ("New customers", "新客户"),
    "retention_rate": ("Retention", "客户留存率"),
    "satisfaction": ("Satisfaction", "满意度"),
    "contact_count": ("Contacts", "联系次数"),
    "visit_count": ("Visits", "拜访次数"),
    "complaint_count": ("Complaints", "投诉数"),
}


def pick(accept_language: str | None, chosen: str | None = None) -> str:
    """The user's choice, else the first supported language the browser asks for."""
    if chosen in LANGUAGES:
        return chosen
    ranked = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((weight, tag.strip().lower()))
    for _, tag in sorted(ranked, key=lambda t: -t[0]):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return "en"


class Locale:
    """Words, numbers, money and dates in one language."""

    def __init__(self, language: str, zone: ZoneInfo) -> None:
        self.language = language if language in LANGUAGES else "en"
        self.zone = zone
        self._index = LANGUAGES.index(self.language)

    def t(self, key: str, **values: Any) -> str:
        entry = MESSAGES.get(key)
        text = entry[self._index] if entry else key.replace("_", " ")
        return text.format(**values) if values else text

    def number(self, value: Any, places: int | None = None) -> str:
        if value is None or value == "":
            return "—"
        value = Decimal(value)
        if places is None:
            places = 0 if value == value.to_integral_value() else 2
        return f"{value:,.{places}f}"

    def money(self, value: Any, currency: str | None) -> str:
        if value is None or value == "":
            return "—"
        symbol = _SYMBOLS[self.language].get(currency or "", f"{currency} " if currency else "")
        text = f"{abs(Decimal(value)):,.2f}"
        return f"-{symbol}{text}" if Decimal(value) < 0 else f"{symbol}{text}"

    def percent(self, value: Any) -> str:
        if value is None or value == "":
            return "—"
        return f"{Decimal(value) * 100:,.1f}%"

    def date(self, value: dt.datetime | dt.date | None) -> str:
        if value is None:
            return "—"
        if isinstance(value, dt.datetime):
            value = value.astimezone(self.zone)
            if self.language == "zh-CN":
                return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
            return value.strftime("%d %b %Y %H:%M")
        if self.language == "zh-CN":
            return f"{value.year}年{value.month}月{value.day}日"
        return value.strftime("%d %b %Y")
