"""Which column is which: English and Chinese headers of real exports.

Headers are compared after normalising: lower case, full-width folded, and
spaces, underscores, hyphens and brackets removed, so `Customer Name`,
`customer_name` and `客户名称（必填）` all match.
"""

from __future__ import annotations

import re
import unicodedata

COMMON = {
    "created_at": ["created", "created at", "create time", "创建时间", "创建日期", "录入日期"],
    "updated_at": [
        "updated",
        "updated at",
        "modified",
        "modified at",
        "last modified",
        "最后修改时间",
        "修改时间",
        "更新时间",
        "最后更新时间",
    ],
    "deleted_at": ["deleted at", "删除时间"],
}

ALIASES: dict[str, dict[str, list[str]]] = {
    "managers": {
        "source_id": ["id", "manager id", "user id", "经理编号", "用户id", "员工id", "编号"],
        "name": [
            "name",
            "manager",
            "manager name",
            "full name",
            "姓名",
            "客户经理",
            "经理姓名",
            "员工姓名",
            "名字",
        ],
        "email": ["email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"],
        "phone": ["phone", "mobile", "tel", "手机", "手机号", "手机号码", "电话", "联系电话"],
        "employee_number": [
            "employee number",
            "employee no",
            "employee id",
            "staff no",
            "工号",
            "员工编号",
            "员工号",
        ],
        "department": ["department", "dept", "部门", "所属部门"],
        "team": ["team", "group", "团队", "小组", "所属团队"],
        "title": ["title", "position", "job title", "职位", "岗位", "职务"],
        "supervisor_source_id": [
            "supervisor",
            "supervisor id",
            "reports to",
            "reporting to",
            "上级",
            "直属上级",
            "上级编号",
            "汇报对象",
        ],
        "active": ["active", "is active", "enabled", "在职", "是否在职", "在职状态", "状态"],
        "hired_at": ["hired at", "hire date", "hired", "入职日期", "入职时间"],
        "region": ["region", "area", "territory", "区域", "地区", "片区", "负责区域"],
    },
    "customers": {
        "source_id": ["id", "customer id", "account id", "客户编号", "客户id", "客户编码", "编号"],
        "name": [
            "name",
            "customer",
            "customer name",
            "account name",
            "company",
            "company name",
            "客户名称",
            "客户",
            "公司名称",
            "名称",
            "客户名",
        ],
        "kind": ["kind", "type", "customer type", "客户类型", "类型", "客户性质"],
        "owner_source_id": [
            "owner",
            "owner id",
            "manager",
            "manager id",
            "account owner",
            "负责人",
            "客户经理",
            "所属经理",
            "归属人",
            "负责人编号",
        ],
        "phone": [
            "phone",
            "mobile",
            "tel",
            "telephone",
            "手机",
            "手机号",
            "电话",
            "联系电话",
            "联系方式",
        ],
        "email": ["email", "e-mail", "邮箱", "电子邮件", "电子邮箱"],
        "credit_code": [
            "credit code",
            "uscc",
            "unified social credit code",
            "统一社会信用代码",
            "信用代码",
            "社会信用代码",
        ],
        "industry": ["industry", "行业", "所属行业"],
        "region": ["region", "province", "area", "地区", "区域", "省份", "所在地区"],
        "country": ["country", "国家", "国家地区"],
        "tier": ["tier", "level", "grade", "value tier", "客户等级", "等级", "客户级别", "级别"],
        "segment": ["segment", "category", "客户分类", "分类", "细分", "客户细分"],
        "lifecycle_stage": [
            "lifecycle stage",
            "stage",
            "lifecycle",
            "生命周期",
            "客户阶段",
            "阶段",
            "客户状态",
        ],
        "marketing_consent": [
            "marketing consent",
            "consent",
            "opt in",
            "opted in",
            "营销许可",
            "是否同意营销",
            "同意营销",
        ],
        "tags": ["tags", "labels", "标签", "客户标签"],
    },
    "contacts": {
        "source_id": ["id", "contact id", "联系人编号", "联系人id", "编号"],
        "name": ["name", "contact", "contact name", "full name", "联系人", "联系人姓名", "姓名"],
        "customer_source_id": [
            "customer",
            "customer id",
            "account",
            "account id",
            "company id",
            "客户编号",
            "客户id",
            "所属客户",
            "客户",
        ],
        "owner_source_id": ["owner", "owner id", "负责人", "负责人编号", "客户经理"],
        "title": ["title", "job title", "position", "职位", "职务", "岗位"],
        "department": ["department", "dept", "部门"],
        "mobile": ["mobile", "cell", "cell phone", "手机", "手机号", "手机号码"],
        "phone": ["phone", "tel", "telephone", "office phone", "电话", "座机", "办公电话"],
        "email": ["email", "e-mail", "mail", "邮箱", "电子邮件", "电子邮箱"],
        "is_primary": ["primary", "is primary", "primary contact", "主联系人", "是否主联系人"],
        "marketing_consent": [
            "marketing consent",
            "consent",
            "opt in",
            "营销许可",
            "同意营销",
            "是否同意营销",
        ],
    },
    "activities": {
        "source_id": [
            "id",
            "activity id",
            "record id",
            "记录编号",
            "跟进记录编号",
            "编号",
            "记录id",
        ],
        "kind": [
            "kind",
            "type",
            "activity type",
            "类型",
            "跟进方式",
            "活动类型",
            "记录类型",
            "跟进类型",
        ],
        "customer_source_id": ["customer", "customer id", "account", "客户", "客户编号", "客户id"],
        "manager_source_id": [
            "manager",
            "manager id",
            "owner",
            "负责人",
            "客户经理",
            "跟进人",
            "经理",
        ],
        "occurred_at": [
            "occurred at",
            "date",
            "time",
            "datetime",
            "activity date",
            "跟进时间",
            "发生时间",
            "时间",
            "日期",
            "下单时间",
            "拜访时间",
        ],
        "logged_at": ["logged at", "recorded at", "entered at", "录入时间", "登记时间", "记录时间"],
        "due_at": ["due", "due at", "due date", "截止时间", "到期时间", "截止日期"],
        "completed_at": ["completed at", "done at", "完成时间"],
        "status": ["status", "状态"],
        "subject": ["subject", "title", "主题", "标题"],
        "content": [
            "content",
            "notes",
            "note",
            "description",
            "details",
            "内容",
            "跟进内容",
            "备注",
            "描述",
            "详情",
        ],
        "amount": ["amount", "value", "金额", "订单金额", "回款金额", "成交金额"],
        "currency": ["currency", "币种", "货币"],
        "score": ["score", "rating", "satisfaction", "评分", "满意度", "打分"],
        "first_response_at": ["first response at", "responded at", "首次响应时间", "响应时间"],
        "resolved_at": ["resolved at", "closed at", "解决时间", "处理完成时间", "结案时间"],
        "duration_seconds": ["duration", "call duration", "时长", "通话时长", "持续时间"],
    },
    "goals": {
        "source_id": ["id", "goal id", "目标编号", "编号"],
        "manager_source_id": [
            "manager",
            "manager id",
            "owner",
            "客户经理",
            "负责人",
            "经理",
            "经理编号",
        ],
        "team": ["team", "团队", "小组"],
        "metric": ["metric", "kpi", "指标", "考核指标"],
        "period": ["period", "期间", "周期", "考核期", "考核周期"],
        "period_start": ["period start", "start", "start date", "开始日期", "开始时间"],
        "period_end": ["period end", "end", "end date", "结束日期", "结束时间"],
        "target": ["target", "goal", "target value", "目标", "目标值", "目标额"],
        "unit": ["unit", "单位"],
        "currency": ["currency", "币种", "货币"],
        "weight": ["weight", "权重"],
    },
}

ACTIVITY_KINDS = {
    "call": ["call", "phone", "phone call", "电话", "通话", "致电", "电话沟通"],
    "visit": ["visit", "拜访", "上门", "上门拜访", "外勤", "签到"],
    "meeting": ["meeting", "event", "会议", "会面", "面谈"],
    "email": ["email", "e-mail", "mail", "邮件"],
    "message": ["message", "sms", "wechat", "chat", "短信", "微信", "消息", "企业微信"],
    "task": ["task", "todo", "任务", "待办"],
    "note": ["note", "备注", "笔记", "记录"],
    "order": ["order", "deal", "sale", "订单", "成交", "下单", "销售"],
    "payment": ["payment", "receipt", "回款", "付款", "收款"],
    "complaint": ["complaint", "投诉"],
    "feedback": ["feedback", "survey", "review", "反馈", "评价", "回访", "满意度调查"],
    "other": ["other", "其他"],
}

CUSTOMER_KINDS = {
    "company": [
        "company",
        "business",
        "b2b",
        "organisation",
        "organization",
        "企业",
        "公司",
        "单位",
        "机构",
    ],
    "person": ["person", "individual", "consumer", "b2c", "个人", "自然人"],
}

METRICS = {
    "sales_amount": ["sales", "sales amount", "revenue", "销售额", "销售金额", "业绩", "成交额"],
    "order_count": ["orders", "order count", "订单数", "订单量", "成交单数"],
    "order_completion_rate": ["order completion rate", "completion rate", "订单完成率", "完成率"],
    "new_customers": [
        "new customers",
        "新客户",
        "新客户数",
        "新增客户",
        "新增客户数",
        "新客户开发",
    ],
    "retention_rate": ["retention", "retention rate", "留存率", "客户留存率", "保有率"],
    "satisfaction": ["satisfaction", "csat", "满意度", "客户满意度"],
    "contact_count": ["contacts", "contact count", "联系次数", "跟进次数", "联系客户数"],
    "payment_amount": ["payments", "payment amount", "回款额", "回款金额"],
    "visit_count": ["visits", "visit count", "拜访次数", "拜访量"],
}

_DROP = re.compile(r"[\s_\-()（）\[\]【】*:：/]+")


def normalise(header: str) -> str:
    text = unicodedata.normalize("NFKC", header).strip().lower()
    text = re.sub(r"[(（\[【].*?[)）\]】]", "", text)  # "客户名称（必填）" -> "客户名称"
    return _DROP.sub("", text)


def _index(table: dict[str, list[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, names in table.items():
        for name in [canonical, *names]:
            out.setdefault(normalise(name), canonical)
    return out


HEADER_INDEX = {entity: _index({**COMMON, **fields}) for entity, fields in ALIASES.items()}
ACTIVITY_KIND_INDEX = _index(ACTIVITY_KINDS)
CUSTOMER_KIND_INDEX = _index(CUSTOMER_KINDS)
METRIC_INDEX = _index(METRICS)


def recognise(entity: str, header: str) -> str | None:
    """The canonical field a header names, if it is a known one."""
    return HEADER_INDEX[entity].get(normalise(header))


def expected_headers(entity: str, field: str) -> list[str]:
    """What the user may call a field (for error messages)."""
    names = [field, *ALIASES[entity].get(field, COMMON.get(field, []))]
    return list(dict.fromkeys(names))
