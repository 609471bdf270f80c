"""A seeded generator of realistic ToB customer companies and their decision chains."""

from __future__ import annotations

import random
from dataclasses import dataclass

INDUSTRIES = {
    # industry: (weight, typical annual salary in CNY)
    "制造 Manufacturing": (18, 95_000),
    "零售 Retail": (16, 70_000),
    "软件 Software": (12, 260_000),
    "金融 Finance": (8, 240_000),
    "教育 Education": (9, 110_000),
    "医疗 Healthcare": (8, 150_000),
    "物流 Logistics": (9, 85_000),
    "餐饮 Food service": (10, 60_000),
    "专业服务 Professional services": (10, 180_000),
}
REGIONS = {
    "华东 East": 30,
    "华南 South": 22,
    "华北 North": 20,
    "西南 Southwest": 10,
    "华中 Central": 10,
    "海外 Overseas": 8,
}
CHANNELS = {"inbound": 30, "telesales": 25, "field": 15, "event": 12, "partner": 12, "referral": 6}
PREFIXES = [
    "华",
    "盛",
    "恒",
    "鼎",
    "远",
    "博",
    "联",
    "新",
    "天",
    "卓",
    "瑞",
    "云",
    "智",
    "海",
    "安",
    "达",
    "丰",
    "宏",
    "金",
    "晨",
]
SUFFIXES = ["科技", "实业", "集团", "信息", "商贸", "制造", "物流", "医疗", "教育", "餐饮"]
EN_WORDS = [
    "Blue",
    "North",
    "Bright",
    "Summit",
    "Pine",
    "River",
    "Nova",
    "Atlas",
    "Orbit",
    "Cedar",
    "Harbor",
    "Vertex",
    "Lumen",
    "Quarry",
    "Zenith",
    "Maple",
]
EN_KINDS = ["Systems", "Labs", "Logistics", "Foods", "Health", "Retail", "Works", "Partners"]
SURNAMES = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱"]
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "军", "洋", "艳", "杰", "涛", "明", "超", "霞"]
PINYIN = {
    "王": "wang",
    "李": "li",
    "张": "zhang",
    "刘": "liu",
    "陈": "chen",
    "杨": "yang",
    "赵": "zhao",
    "黄": "huang",
    "周": "zhou",
    "吴": "wu",
    "徐": "xu",
    "孙": "sun",
    "马": "ma",
    "朱": "zhu",
}
TITLES = {
    "decision_maker": ["CEO", "总经理 General manager", "CFO", "VP Operations"],
    "buyer": ["采购经理 Procurement manager", "Purchasing lead"],
    "it_gate": ["CIO", "IT 经理 IT manager", "CTO"],
    "champion": ["运营总监 Head of operations", "Sales director", "HR director"],
    "influencer": ["部门经理 Department head", "Finance manager"],
    "end_user": ["专员 Specialist", "Analyst", "Coordinator", "Sales rep"],
}
CSMS = ["csm_wang", "csm_li", "csm_zhang", "csm_chen", "csm_liu", "csm_zhao"]


@dataclass(frozen=True)
class DemoCompany:
    external_id: str
    name: str
    domain: str
    industry: str
    headcount: int
    salary_level: int
    region: str
    revenue_band: str
    has_it_department: bool
    lifecycle_stage: str
    csm_owner: str
    acquisition_channel: str
    is_reference: bool


@dataclass(frozen=True)
class DemoContact:
    external_id: str
    account_external_id: str
    name: str
    email: str
    phone: str
    title: str
    role: str
    is_primary: bool


def _pick(rng: random.Random, weights: dict[str, int] | dict[str, tuple[int, int]]) -> str:
    names = list(weights)
    w = [v[0] if isinstance(v, tuple) else v for v in weights.values()]
    return rng.choices(names, weights=w)[0]


def _headcount(rng: random.Random) -> int:
    """Log-normal sizes: most customers small, a long tail of large ones (P-PROFILE-3)."""
    return max(3, min(60_000, int(rng.lognormvariate(4.1, 1.35))))


def _revenue_band(headcount: int) -> str:
    if headcount < 50:
        return "lt_10m"
    if headcount < 400:
        return "10m_100m"
    if headcount < 3000:
        return "100m_1b"
    return "gt_1b"


def company(rng: random.Random, index: int) -> DemoCompany:
    industry = _pick(rng, INDUSTRIES)
    headcount = _headcount(rng)
    salary = int(INDUSTRIES[industry][1] * rng.uniform(0.75, 1.35) / 1000) * 1000
    if rng.random() < 0.7:
        name = f"{rng.choice(PREFIXES)}{rng.choice(PREFIXES)}{rng.choice(SUFFIXES)}"
        slug = f"c{index:05d}"
    else:
        word = rng.choice(EN_WORDS)
        name = f"{word} {rng.choice(EN_KINDS)}"
        slug = f"{word.lower()}{index:05d}"
    tier_csm = headcount >= 100
    stage = rng.choices(["onboarding", "active", "at_risk", "churned"], [8, 72, 12, 8])[0]
    return DemoCompany(
        external_id=f"ACME-{index:05d}",
        name=f"{name} #{index}",
        domain=f"{slug}.example.com",
        industry=industry,
        headcount=headcount,
        salary_level=salary,
        region=_pick(rng, REGIONS),
        revenue_band=_revenue_band(headcount),
        has_it_department=headcount >= 300 or (headcount >= 80 and rng.random() < 0.4),
        lifecycle_stage=stage,
        csm_owner=rng.choice(CSMS) if tier_csm else "",
        acquisition_channel=_pick(rng, CHANNELS),
        is_reference=headcount >= 500 and rng.random() < 0.12,
    )


def contacts_for(rng: random.Random, c: DemoCompany, start: int) -> list[DemoContact]:
    """2–8 contacts; usually a decision maker, sometimes none (a P-PROFILE-2 risk)."""
    n = rng.randint(2, 8)
    roles = ["end_user"] * n
    slots = list(range(n))
    rng.shuffle(slots)
    if rng.random() < 0.82:
        roles[slots.pop()] = "decision_maker"
    for role, p in (("champion", 0.6), ("buyer", 0.5), ("it_gate", 0.45), ("influencer", 0.4)):
        if slots and rng.random() < p:
            roles[slots.pop()] = role
    out = []
    for k, role in enumerate(roles):
        surname = rng.choice(SURNAMES)
        given = rng.choice(GIVEN)
        handle = f"{PINYIN[surname]}.{start + k}"
        out.append(
            DemoContact(
                external_id=f"P-{start + k:06d}",
                account_external_id=c.external_id,
                name=f"{surname}{given}",
                email=f"{handle}@{c.domain}",
                phone=f"+86 1{rng.randint(30, 89)} {rng.randint(1000, 9999)} "
                f"{rng.randint(1000, 9999)}",
                title=rng.choice(TITLES[role]),
                role=role,
                is_primary=k == 0,
            )
        )
    return out
