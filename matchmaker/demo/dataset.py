"""Deterministic demo data set for the matchmaker.

The data mirrors the 2012 work plan of the Tianjin Binhai High-Tech Zone (see
DOMAIN.md): the 20 financial institutions the zone plans to bring in, 1,000 new
technology SMEs (70 of them with at least 20 million yuan of registered capital,
35 tech little giants) and their funding needs.

Everything is built from one ``random.Random(2012)`` and a fixed reference date,
so two calls give identical documents: ``matchmaker seed --demo`` can load it any
number of times and, thanks to the stable ``"id"`` of every document, leaves one
copy. Standard library only: no Flask, no database.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterator, NamedTuple

from .readiness import documents as board_firms

SEED = 2012
REFERENCE_DATE = date(2012, 6, 30)  # "today" inside the demo data
LATEST_FISCAL_YEAR = 2011

WAN = 10_000  # 1万
MILLION = 1_000_000
BIG_CAPITAL = 20 * MILLION  # the plan's registered-capital threshold
BIG_CAPITAL_SHARE = 0.07  # 70 of 1,000
LITTLE_GIANT_SHARE = 0.035  # 35 of 1,000

# ---------------------------------------------------------------------------
# Institutions: the zone's plan of about 20 institutions, written out by hand.
# ---------------------------------------------------------------------------

ALL_INDUSTRIES = [
    "new_energy",
    "advanced_manufacturing",
    "modern_services",
    "software_it",
    "biomedicine",
    "other",
]
LEADING_INDUSTRIES = ALL_INDUSTRIES[:5]

#: What each institution type offers unless its entry says otherwise.
INSTITUTION_DEFAULTS = {
    "venture_capital": {"instruments": ["equity"], "requirements": {}},
    "angel": {"instruments": ["equity", "convertible"], "requirements": {}},
    "guarantee": {
        "instruments": ["guarantee"],
        "requirements": {"collateral_required": True, "min_years": 2},
    },
    "microcredit": {"instruments": ["debt"], "requirements": {"min_years": 1}},
    "industry_fund": {"instruments": ["equity"], "requirements": {"min_years": 3}},
    "bank": {"instruments": ["debt"], "requirements": {"min_years": 2}},
    "leasing": {"instruments": ["leasing"], "requirements": {"min_years": 2}},
}

NO_REQUIREMENTS = {
    "min_revenue": None,
    "min_years": None,
    "collateral_required": False,
    "high_tech_required": False,
}

#: Ticket sizes are given in 万 yuan to keep the table readable.
INSTITUTIONS = [
    {
        "name": "天津滨海高新创业投资有限公司",
        "name_en": "Tianjin Binhai High-Tech Venture Capital Co., Ltd.",
        "type": "venture_capital",
        "instruments": ["equity", "convertible"],
        "industries": ["software_it", "new_energy", "advanced_manufacturing"],
        "stages": ["startup", "growth", "expansion"],
        "ticket_wan": (200, 3000),
        "status": "entered",
        "description": (
            "滨海高新区管委会发起设立的创业投资机构，专注于园区内软件与高端IT、新能源和先进制造企业的"
            "股权投资，单笔投资200万至3000万元，可采用可转债方式投资，并为被投企业提供上市辅导和后续融资对接。"
            "Government-backed venture capital investing in the zone's software, new energy and"
            " advanced manufacturing start-ups."
        ),
    },
    {
        "name": "天津滨海华科创业投资有限公司",
        "name_en": "Tianjin Binhai Huake Venture Capital Co., Ltd.",
        "type": "venture_capital",
        "industries": ["biomedicine"],
        "stages": ["growth", "expansion"],
        "ticket_wan": (300, 5000),
        "status": "entered",
        "requirements": {"high_tech_required": True},
        "description": (
            "专注生物医药领域的创投公司，重点关注生物制药、医疗器械和体外诊断企业，要求被投企业为国家级高新技术企业，"
            "看重发明专利和临床批件。Equity investment in biomedicine: biopharmaceuticals,"
            " medical devices and diagnostics with strong patents."
        ),
    },
    {
        "name": "天津海泰启航创业投资有限公司",
        "name_en": "Tianjin Haitai Qihang Venture Capital Co., Ltd.",
        "type": "venture_capital",
        "industries": ["software_it", "modern_services"],
        "stages": ["startup", "growth"],
        "ticket_wan": (200, 2000),
        "status": "entered",
        "description": (
            "投资早中期的软件、云计算、移动互联网和现代服务业企业，偏好轻资产、高成长的商业模式，"
            "单笔股权投资200万至2000万元。Early-stage equity for software, cloud computing and"
            " internet services companies."
        ),
    },
    {
        "name": "天津滨海绿能创业投资管理有限公司",
        "name_en": "Tianjin Binhai Green Energy Venture Capital Management Co., Ltd.",
        "type": "venture_capital",
        "industries": ["new_energy"],
        "stages": ["growth", "expansion"],
        "ticket_wan": (500, 5000),
        "status": "negotiating",
        "requirements": {"min_revenue": 10 * MILLION},
        "description": (
            "新能源专业创投，投资锂电池、光伏、风电和储能产业链企业，要求企业年营业收入不低于1000万元。"
            "Growth capital for lithium batteries, photovoltaics, wind power and energy storage."
        ),
    },
    {
        "name": "天津华苑智造创业投资合伙企业（有限合伙）",
        "name_en": "Tianjin Huayuan Smart Manufacturing Venture Capital LP",
        "type": "venture_capital",
        "industries": ["advanced_manufacturing", "other"],
        "stages": ["startup", "growth", "expansion"],
        "ticket_wan": (200, 4000),
        "status": "entered",
        "description": (
            "关注数控机床、工业机器人、激光加工设备、新材料等先进制造领域，以股权投资支持企业技术升级和产能扩张。"
            "Equity for advanced manufacturing: CNC machine tools, industrial robots and new materials."
        ),
    },
    {
        "name": "天津渤海星辰创业投资有限公司",
        "name_en": "Tianjin Bohai Xingchen Venture Capital Co., Ltd.",
        "type": "venture_capital",
        "industries": LEADING_INDUSTRIES,
        "stages": ["startup", "growth"],
        "ticket_wan": (200, 2500),
        "status": "target",
        "description": (
            "综合型创投公司，覆盖园区五大主导产业，拟在高新区设立分支机构，提供股权投资和投后管理服务。"
            "A generalist venture capital firm the zone is inviting to set up an office."
        ),
    },
    {
        "name": "天津滨海天使投资有限公司",
        "name_en": "Tianjin Binhai Angel Investment Co., Ltd.",
        "type": "angel",
        "industries": ["software_it", "modern_services", "biomedicine"],
        "stages": ["seed", "startup"],
        "ticket_wan": (30, 300),
        "status": "entered",
        "description": (
            "配合筑巢计划，为种子期、初创期科技企业提供天使投资和创业导师辅导，单笔30万至300万元，"
            "可采用股权或可转债方式。Angel money and mentoring for founders at seed stage."
        ),
    },
    {
        "name": "天津华苑创客天使投资合伙企业（有限合伙）",
        "name_en": "Tianjin Huayuan Maker Angel Fund LP",
        "type": "angel",
        "industries": ["new_energy", "advanced_manufacturing", "software_it"],
        "stages": ["seed"],
        "ticket_wan": (30, 200),
        "status": "negotiating",
        "description": (
            "由成功企业家和高校教授组成的天使投资人联盟，投资种子期技术团队和大学生创业项目。"
            "Angel investors backing seed-stage technical teams."
        ),
    },
    {
        "name": "天津华苑科技融资担保有限公司",
        "name_en": "Tianjin Huayuan Technology Financing Guarantee Co., Ltd.",
        "type": "guarantee",
        "industries": LEADING_INDUSTRIES,
        "stages": ["startup", "growth", "expansion"],
        "ticket_wan": (100, 2000),
        "status": "entered",
        "requirements": {"min_revenue": 5 * MILLION},
        "description": (
            "为科技型中小企业的银行贷款提供融资担保，担保额100万至2000万元，年担保费率1.5%-2.5%，"
            "要求提供反担保（房产抵押、股权质押或知识产权质押）。Guarantees bank loans for"
            " working capital; counter-guarantee required."
        ),
    },
    {
        "name": "天津滨海中小企业信用担保有限公司",
        "name_en": "Tianjin Binhai SME Credit Guarantee Co., Ltd.",
        "type": "guarantee",
        "industries": ALL_INDUSTRIES,
        "stages": ["growth", "expansion"],
        "ticket_wan": (100, 1500),
        "status": "entered",
        "requirements": {"min_revenue": 10 * MILLION, "min_years": 3},
        "description": (
            "政策性信用担保机构，为成长期企业的流动资金贷款和项目贷款提供担保，要求企业经营满三年、"
            "年营业收入1000万元以上，需抵押物或反担保。Credit guarantees for growing SMEs' bank loans."
        ),
    },
    {
        "name": "天津海泰科技担保有限公司",
        "name_en": "Tianjin Haitai Technology Guarantee Co., Ltd.",
        "type": "guarantee",
        "industries": ["software_it", "biomedicine", "new_energy", "advanced_manufacturing"],
        "stages": ["startup", "growth"],
        "ticket_wan": (100, 1000),
        "status": "negotiating",
        "requirements": {
            "min_revenue": 3 * MILLION,
            "collateral_required": False,
            "high_tech_required": True,
        },
        "description": (
            "面向轻资产高新技术企业，接受知识产权质押和应收账款质押作为反担保，无需房产抵押，"
            "担保额100万至1000万元。Guarantees for high-tech firms using patents as counter-guarantee,"
            " no real-estate collateral needed."
        ),
    },
    {
        "name": "天津滨海高新区科技小额贷款有限公司",
        "name_en": "Tianjin Binhai High-Tech Zone Technology Microcredit Co., Ltd.",
        "type": "microcredit",
        "industries": ALL_INDUSTRIES,
        "stages": ["seed", "startup", "growth"],
        "ticket_wan": (10, 500),
        "status": "entered",
        "description": (
            "为园区科技型小微企业提供小额、分散、快速的短期贷款，单户10万至500万元，期限不超过12个月，"
            "用于流动资金周转。Short-term microcredit loans for working capital, decided within a week."
        ),
    },
    {
        "name": "天津华苑普惠小额贷款有限公司",
        "name_en": "Tianjin Huayuan Inclusive Microcredit Co., Ltd.",
        "type": "microcredit",
        "industries": ALL_INDUSTRIES,
        "stages": ["startup", "growth"],
        "ticket_wan": (10, 300),
        "status": "entered",
        "requirements": {"collateral_required": True},
        "description": (
            "提供抵押贷款和订单融资，单笔10万至300万元，期限3至12个月，手续简便、放款快。"
            "Secured small loans and order financing, 3 to 12 months."
        ),
    },
    {
        "name": "天津渤海津科小额贷款有限公司",
        "name_en": "Tianjin Bohai Jinke Microcredit Co., Ltd.",
        "type": "microcredit",
        "industries": ALL_INDUSTRIES,
        "stages": ["seed", "startup", "growth"],
        "ticket_wan": (20, 500),
        "status": "target",
        "description": (
            "拟入驻高新区的小额贷款公司，计划推出信用贷款和知识产权质押小额贷款产品。"
            "Planned microcredit products: unsecured and patent-pledge small loans."
        ),
    },
    {
        "name": "天津滨海新能源产业投资基金（有限合伙）",
        "name_en": "Tianjin Binhai New Energy Industry Investment Fund LP",
        "type": "industry_fund",
        "industries": ["new_energy", "advanced_manufacturing"],
        "stages": ["growth", "expansion", "pre_ipo"],
        "ticket_wan": (1000, 20000),
        "status": "entered",
        "requirements": {"min_revenue": 50 * MILLION},
        "description": (
            "规模20亿元的新能源产业基金，投资锂电池、光伏、电动汽车和高端装备企业的扩张期和上市前股权投资，"
            "单笔1000万至2亿元。Pre-IPO and expansion equity for new energy and equipment makers."
        ),
    },
    {
        "name": "天津滨海生物医药产业投资基金（有限合伙）",
        "name_en": "Tianjin Binhai Biomedicine Industry Investment Fund LP",
        "type": "industry_fund",
        "industries": ["biomedicine"],
        "stages": ["growth", "expansion", "pre_ipo"],
        "ticket_wan": (1000, 15000),
        "status": "negotiating",
        "requirements": {"min_revenue": 30 * MILLION},
        "description": (
            "专注生物制药、医疗器械和现代中药的产业基金，支持企业新药研发、GMP改造和上市。"
            "Industry fund for pharmaceuticals and medical devices, from growth to IPO."
        ),
    },
    {
        "name": "天津信息技术产业投资基金（有限合伙）",
        "name_en": "Tianjin Information Technology Industry Investment Fund LP",
        "type": "industry_fund",
        "industries": ["software_it", "modern_services"],
        "stages": ["expansion", "pre_ipo"],
        "ticket_wan": (2000, 20000),
        "status": "entered",
        "requirements": {"min_revenue": 100 * MILLION, "high_tech_required": True},
        "description": (
            "投资软件、集成电路设计、云计算和信息服务领域年收入过亿元的龙头企业，协助完成股份制改造和上市申报。"
            "Backs leading software and IT companies with revenue above 100 million yuan on their way to listing."
        ),
    },
    {
        "name": "津城银行天津滨海科技支行",
        "name_en": "Jincheng Bank Tianjin Binhai Technology Sub-branch",
        "type": "bank",
        "industries": ALL_INDUSTRIES,
        "stages": ["startup", "growth", "expansion", "pre_ipo"],
        "ticket_wan": (100, 5000),
        "status": "entered",
        "requirements": {"high_tech_required": True},
        "description": (
            "专营科技金融的科技支行，提供知识产权质押贷款、股权质押贷款、订单贷款和流动资金贷款，"
            "与园区担保公司和创投合作推出投贷联动产品。Patent-pledge loans and working capital loans"
            " for certified high-tech enterprises."
        ),
    },
    {
        "name": "渤海商业银行天津高新区科技支行",
        "name_en": "Bohai Commercial Bank Tianjin High-Tech Zone Technology Sub-branch",
        "type": "bank",
        "industries": ALL_INDUSTRIES,
        "stages": ["growth", "expansion", "pre_ipo"],
        "ticket_wan": (100, 3000),
        "status": "entered",
        "requirements": {"min_revenue": 20 * MILLION, "collateral_required": True},
        "description": (
            "为成长期以上企业提供流动资金贷款、项目贷款和银行承兑汇票，一般需要抵押或担保公司担保。"
            "Secured bank loans for established companies."
        ),
    },
    {
        "name": "天津滨海科技融资租赁有限公司",
        "name_en": "Tianjin Binhai Technology Financial Leasing Co., Ltd.",
        "type": "leasing",
        "industries": ["advanced_manufacturing", "new_energy", "biomedicine"],
        "stages": ["growth", "expansion", "pre_ipo"],
        "ticket_wan": (100, 3000),
        "status": "entered",
        "description": (
            "通过直接租赁和售后回租为企业购置生产设备、检测仪器和医疗设备提供融资租赁，期限2至5年。"
            "Equipment leasing and sale-and-leaseback for production lines and instruments."
        ),
    },
]

# ---------------------------------------------------------------------------
# Enterprises
# ---------------------------------------------------------------------------

#: Share of each industry among new SMEs: the five leading industries dominate.
INDUSTRY_WEIGHTS = {
    "new_energy": 18,
    "advanced_manufacturing": 24,
    "modern_services": 15,
    "software_it": 23,
    "biomedicine": 15,
    "other": 5,
}

#: (Chinese, English) words for company names, by industry.
NAME_WORDS = {
    "new_energy": [("新能源", "New Energy"), ("光伏", "Photovoltaic"), ("电池", "Battery"), ("风电", "Wind Power")],
    "advanced_manufacturing": [
        ("精密机械", "Precision Machinery"),
        ("数控", "CNC"),
        ("智能装备", "Intelligent Equipment"),
        ("自动化", "Automation"),
    ],
    "modern_services": [
        ("信息服务", "Information Services"),
        ("物流", "Logistics"),
        ("检测", "Testing"),
        ("文化传媒", "Media"),
    ],
    "software_it": [
        ("软件", "Software"),
        ("信息技术", "Information Technology"),
        ("网络", "Network"),
        ("微电子", "Microelectronics"),
    ],
    "biomedicine": [("生物", "Biotech"), ("医药", "Pharmaceutical"), ("医疗器械", "Medical Devices"), ("基因", "Genetics")],
    "other": [("新材料", "New Materials"), ("环保", "Environmental"), ("农业", "Agritech")],
}

#: Syllables for fictional brand names, with pinyin for the English name.
BRAND_SYLLABLES = [
    ("华", "Hua"), ("创", "Chuang"), ("星", "Xing"), ("海", "Hai"), ("泰", "Tai"), ("瑞", "Rui"),
    ("博", "Bo"), ("科", "Ke"), ("鑫", "Xin"), ("远", "Yuan"), ("恒", "Heng"), ("达", "Da"),
    ("天", "Tian"), ("宇", "Yu"), ("中", "Zhong"), ("信", "Xin"), ("安", "An"), ("广", "Guang"),
    ("源", "Yuan"), ("明", "Ming"), ("诺", "Nuo"), ("维", "Wei"), ("嘉", "Jia"), ("盛", "Sheng"),
    ("联", "Lian"), ("智", "Zhi"), ("腾", "Teng"), ("润", "Run"), ("凯", "Kai"), ("捷", "Jie"),
    ("光", "Guang"), ("正", "Zheng"), ("康", "Kang"), ("益", "Yi"), ("新", "Xin"), ("汇", "Hui"),
    ("德", "De"), ("通", "Tong"), ("云", "Yun"), ("峰", "Feng"),
]

#: (Chinese, English) products and technologies, by industry.
PRODUCTS = {
    "new_energy": [
        ("锂电池", "lithium-ion batteries"), ("光伏组件", "photovoltaic modules"),
        ("风电变流器", "wind turbine converters"), ("储能系统", "energy storage systems"),
        ("LED照明", "LED lighting"), ("电动汽车充电桩", "EV charging stations"),
        ("太阳能电池片", "solar cells"), ("电池管理系统", "battery management systems"),
    ],
    "advanced_manufacturing": [
        ("数控机床", "CNC machine tools"), ("工业机器人", "industrial robots"),
        ("精密模具", "precision moulds"), ("自动化生产线", "automated production lines"),
        ("航空零部件", "aerospace components"), ("激光加工设备", "laser processing equipment"),
        ("智能仪器仪表", "smart instruments"), ("海洋工程装备", "offshore engineering equipment"),
    ],
    "modern_services": [
        ("检验检测", "testing and inspection"), ("供应链管理", "supply chain management"),
        ("工业设计", "industrial design"), ("科技咨询", "technology consulting"),
        ("电子商务平台", "e-commerce platforms"), ("数字内容", "digital content"),
        ("服务外包", "business process outsourcing"),
    ],
    "software_it": [
        ("云计算", "cloud computing"), ("企业管理软件", "enterprise software"),
        ("信息安全", "information security"), ("物联网", "Internet of Things"),
        ("移动互联网应用", "mobile apps"), ("大数据分析", "data analytics"),
        ("嵌入式软件", "embedded software"), ("集成电路设计", "IC design"),
    ],
    "biomedicine": [
        ("生物制药", "biopharmaceuticals"), ("医疗器械", "medical devices"),
        ("体外诊断试剂", "in-vitro diagnostics"), ("现代中药", "modern Chinese medicine"),
        ("基因检测", "genetic testing"), ("疫苗", "vaccines"), ("医用材料", "biomedical materials"),
    ],
    "other": [
        ("新材料", "new materials"), ("环保设备", "environmental protection equipment"),
        ("水处理", "water treatment"), ("节能技术", "energy-saving technology"),
        ("现代农业", "modern agriculture"),
    ],
}

#: Industries that sell services rather than make products (changes the wording).
SERVICE_INDUSTRIES = {"modern_services", "software_it"}

STAGE_SENTENCES = {
    "seed": "公司处于种子期，核心团队来自高校和科研院所，已完成样品开发。",
    "startup": "公司处于初创期，产品已进入试销阶段并取得首批客户。",
    "growth": "公司处于成长期，产品已实现规模化销售。",
    "expansion": "公司正在扩大产能并拓展全国市场。",
    "pre_ipo": "公司经营稳健，正在筹备首次公开发行股票并上市。",
}


class StageProfile(NamedTuple):
    """How enterprises at one stage look: shares, sizes and habits.

    Money ranges are in millions of yuan; ``needs`` maps an instrument to
    (weight, smallest ask, largest ask) in millions.
    """

    weight: int
    founded: tuple[int, int]  # range of founding years
    capital: tuple[float, float]  # registered capital when below the 20M line
    revenue: tuple[float, float]  # latest-year revenue, drawn log-uniformly
    growth: tuple[float, float]  # yearly revenue growth
    margin: tuple[float, float]  # net margin
    employees: tuple[int, int]
    patents: int  # most invention patents a company of this stage has
    high_tech: float  # probability of the national high-tech certificate
    joint_stock: float
    sponsor: float  # probability of a sponsor, given joint-stock
    collateral: float
    equity_pct: tuple[float, float]
    needs: dict[str, tuple[int, float, float]]


STAGES = {
    "seed": StageProfile(
        weight=14, founded=(2008, 2010), capital=(0.1, 3), revenue=(0.1, 5), growth=(0.3, 2.0),
        margin=(-1.0, 0.05), employees=(3, 25), patents=2, high_tech=0.05, joint_stock=0.0,
        sponsor=0.0, collateral=0.1, equity_pct=(10, 30),
        needs={"equity": (6, 0.5, 3), "convertible": (1, 0.3, 2), "debt": (3, 0.3, 1)},
    ),
    "startup": StageProfile(
        weight=32, founded=(2006, 2010), capital=(0.5, 10), revenue=(1, 30), growth=(0.1, 0.8),
        margin=(-0.15, 0.15), employees=(10, 80), patents=5, high_tech=0.25, joint_stock=0.02,
        sponsor=0.0, collateral=0.25, equity_pct=(8, 25),
        needs={"equity": (45, 1, 10), "convertible": (10, 1, 5), "debt": (30, 0.3, 3),
               "guarantee": (10, 1, 5), "leasing": (5, 0.5, 3)},
    ),
    "growth": StageProfile(
        weight=38, founded=(2000, 2009), capital=(1, 19.99), revenue=(8, 100), growth=(-0.1, 0.5),
        margin=(-0.04, 0.16), employees=(40, 300), patents=12, high_tech=0.5, joint_stock=0.1,
        sponsor=0.1, collateral=0.55, equity_pct=(5, 20),
        needs={"equity": (30, 5, 50), "convertible": (5, 3, 20), "debt": (25, 1, 15),
               "guarantee": (30, 2, 15), "leasing": (10, 1, 10)},
    ),
    "expansion": StageProfile(
        weight=12, founded=(1998, 2007), capital=(5, 19.99), revenue=(20, 200), growth=(0.0, 0.4),
        margin=(-0.02, 0.16), employees=(100, 800), patents=25, high_tech=0.7, joint_stock=0.4,
        sponsor=0.2, collateral=0.75, equity_pct=(3, 15),
        needs={"equity": (40, 20, 100), "debt": (30, 5, 40), "guarantee": (15, 2, 15),
               "leasing": (15, 3, 20)},
    ),
    "pre_ipo": StageProfile(
        weight=4, founded=(1995, 2006), capital=(10, 19.99), revenue=(80, 800), growth=(0.12, 0.45),
        margin=(0.06, 0.2), employees=(300, 2500), patents=50, high_tech=0.9, joint_stock=0.9,
        sponsor=0.8, collateral=0.85, equity_pct=(1, 10),
        needs={"equity": (60, 30, 100), "debt": (30, 10, 50), "leasing": (10, 5, 30)},
    ),
}

STAGE_ORDER = list(STAGES)  # seed … pre_ipo

# ---------------------------------------------------------------------------
# Funding needs
# ---------------------------------------------------------------------------

#: (Chinese, English) purposes; the ``purpose`` field holds both, "流动资金 working capital".
PURPOSES = {
    "working_capital": ("流动资金", "working capital"),
    "materials": ("原材料采购", "raw materials"),
    "rnd": ("研发投入", "R&D"),
    "equipment": ("设备购置", "equipment"),
    "capacity": ("产能扩张", "capacity expansion"),
    "market": ("市场拓展", "market expansion"),
    "pre_ipo": ("上市前融资", "pre-IPO"),
}

INSTRUMENT_PURPOSES = {
    "equity": ["rnd", "capacity", "market"],
    "convertible": ["rnd", "market"],
    "debt": ["working_capital", "working_capital", "materials", "equipment"],
    "guarantee": ["working_capital", "materials", "capacity"],
    "leasing": ["equipment"],
}

INSTRUMENT_WORDS = {  # (Chinese, English)
    "equity": ("股权融资", "equity financing"),
    "convertible": ("可转债融资", "convertible note"),
    "debt": ("贷款", "loan"),
    "guarantee": ("担保贷款", "guaranteed bank loan"),
    "leasing": ("融资租赁", "equipment leasing"),
}

EQUITY_ROUNDS = {
    "seed": "天使轮 Angel round",
    "startup": "A轮 Series A",
    "growth": "B轮 Series B",
    "expansion": "C轮",
    "pre_ipo": "Pre-IPO轮",
}

#: Loan terms in months: short microcredit-sized loans, longer bank loans and leases.
TERMS = {
    "small_debt": [3, 6, 6, 12, 12],
    "debt": [12, 12, 24, 36],
    "guarantee": [6, 12, 12, 24, 36],
    "leasing": [24, 36, 36, 48, 60],
}
SMALL_LOAN = 3 * MILLION
LOAN_LIKE = ("debt", "guarantee", "leasing")
MIN_TICKET = 100_000
#: Lenders size a loan to the business: at most about half a year's revenue.
MAX_LOAN_TO_REVENUE = 0.5
#: Price-to-earnings a round is priced at, by stage (profitable firms; China's 2012 VC
#: rounds: roughly 8–20× for pre-IPO, higher for young growth firms), never above ~60.
ROUND_PE = {"seed": (25, 60), "startup": (20, 50), "growth": (12, 30), "expansion": (10, 22), "pre_ipo": (8, 18)}
#: Loss-makers are priced on sales (price-to-sales), with a floor for teams and IP (millions).
ROUND_PS = (1.0, 4.0)
LOSS_MAKER_FLOOR = {"seed": (3, 12), "startup": (8, 30), "growth": (20, 60), "expansion": (40, 120), "pre_ipo": (80, 200)}
MAX_STAKE_PCT = 30
MAX_PE = 60
#: Below this net margin, earnings are no basis for a price: the round is priced on sales.
EARNINGS_BASIS_MARGIN = 0.02

NEED_STATUS_WEIGHTS = {
    "open": 75,
    "in_talks": 8,
    "funded": 5,
    "closed": 3,
    "draft": 5,
    "withdrawn": 4,
}
SHARE_WITH_NEED = 0.85
SHARE_WITH_SECOND_NEED = 0.2  # of those that have one

# ---------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------

PASSWORDS = {
    "admin": "demo-admin-2012",
    "staff": "demo-staff-2012",
    "enterprise": "demo-enterprise-2012",
    "institution": "demo-institution-2012",
}


@dataclass
class DemoData:
    institutions: list[dict] = field(default_factory=list)
    enterprises: list[dict] = field(default_factory=list)
    needs: list[dict] = field(default_factory=list)
    accounts: list[dict] = field(default_factory=list)


def generate(enterprise_count: int = 1000) -> DemoData:
    """Build the demo data set; the same count always gives the same data."""
    rng = random.Random(SEED)
    institutions = build_institutions()
    enterprises = build_enterprises(rng, enterprise_count)
    from .dates import date_events

    date_events(institutions, enterprises)  # registrations, designations, listings, entry dates
    needs = build_needs(rng, enterprises)
    accounts = build_accounts(institutions, enterprises)
    return DemoData(institutions, enterprises, needs, accounts)


def iter_documents(data: DemoData) -> Iterator[dict]:
    """Yield every document with its ``"kind"``, in JSON Lines import order."""
    for kind, documents in (
        ("institution", data.institutions),
        ("enterprise", data.enterprises),
        ("need", data.needs),
    ):
        for document in documents:
            yield {"kind": kind, **document}
    yield from board_firms()  # firms of the boards since 2019 (STAR, BSE), after the 2012 zone's own


# --- institutions ----------------------------------------------------------


def build_institutions() -> list[dict]:
    return [_institution(number, spec) for number, spec in enumerate(INSTITUTIONS, 1)]


def _institution(number: int, spec: dict) -> dict:
    from .products import extras

    defaults = INSTITUTION_DEFAULTS[spec["type"]]
    ticket_min, ticket_max = (wan * WAN for wan in spec["ticket_wan"])
    return {
        "id": f"inst-{number:03d}",
        "name": spec["name"],
        "name_en": spec["name_en"],
        "type": spec["type"],
        "instruments": list(spec.get("instruments", defaults["instruments"])),
        "industries": list(spec["industries"]),
        "stages": list(spec["stages"]),
        "ticket_min": ticket_min,
        "ticket_max": ticket_max,
        "description": spec["description"],
        "status": spec["status"],
        "requirements": {
            **NO_REQUIREMENTS,
            **defaults["requirements"],
            **spec.get("requirements", {}),
        },
        **extras(number),
    }


# --- enterprises -----------------------------------------------------------


def build_enterprises(rng: random.Random, count: int) -> list[dict]:
    """Generate ``count`` enterprises.

    Stages come first; the exact quotas of the plan (big registered capital,
    little giants) are then handed out, favouring later stages, before the
    rest of each profile is drawn to fit.
    """
    stages = rng.choices(STAGE_ORDER, weights=[p.weight for p in STAGES.values()], k=count)
    big_capital = _pick_favouring_later_stages(rng, stages, round(count * BIG_CAPITAL_SHARE))
    giants = _pick_favouring_later_stages(rng, stages, round(count * LITTLE_GIANT_SHARE))
    names: set[str] = set()
    return [
        _enterprise(rng, number, stage, number in big_capital, number in giants, names)
        for number, stage in enumerate(stages, 1)
    ]


def _pick_favouring_later_stages(rng: random.Random, stages: list[str], k: int) -> set[int]:
    """Choose exactly ``k`` enterprise numbers, later stages more likely."""
    keyed = sorted(
        ((STAGE_ORDER.index(stage) + 3 * rng.random(), number) for number, stage in enumerate(stages, 1)),
        reverse=True,
    )
    return {number for _, number in keyed[:k]}


def _enterprise(
    rng: random.Random, number: int, stage: str, big_capital: bool, little_giant: bool, names: set[str]
) -> dict:
    profile = STAGES[stage]
    industry = _weighted(rng, INDUSTRY_WEIGHTS)
    founded = _founded(rng, profile)
    joint_stock = rng.random() < profile.joint_stock
    name, name_en, short_name = _company_name(rng, industry, joint_stock, names)
    capital = _registered_capital(rng, profile, big_capital)
    financials = _financials(rng, profile, industry, founded.year, capital)
    enterprise = {
        "id": f"ent-{number:04d}",
        "name": name,
        "name_en": name_en,
        "industry": industry,
        "stage": stage,
        "founded": founded.isoformat(),
        "registered_capital": capital,
        "employees": _employees(rng, profile, financials[-1]["revenue"]),
        "description": "",
        "high_tech_certified": little_giant or rng.random() < profile.high_tech,
        "little_giant": little_giant,
        "invention_patents": _invention_patents(rng, profile, industry),
        "joint_stock": joint_stock,
        "sponsor_engaged": joint_stock and rng.random() < profile.sponsor,
        "has_collateral": rng.random() < profile.collateral,
        "financials": financials,
    }
    enterprise["counter_guarantees_offered"] = _security_offered(number, enterprise)
    enterprise["description"] = _enterprise_description(rng, enterprise, short_name, founded.year)
    return enterprise


def _security_offered(number: int, enterprise: dict) -> list[str]:
    """What a firm can put up as a counter-guarantee (DOMAIN.md): the controller's guarantee
    always; receivables once it sells; its equity (most do pledge it); equipment in
    manufacturing; patents and property where it has them.  A generator of its own, so the
    rest of the demo draws the same numbers as before."""
    rng = random.Random(f"security-{number}")
    offered = ["personal_guarantee"]
    if enterprise["financials"] and enterprise["financials"][-1]["revenue"] > 0 and rng.random() < 0.7:
        offered.append("receivables_pledge")
    if rng.random() < 0.6:
        offered.append("equity_pledge")
    if enterprise["industry"] in ("advanced_manufacturing", "new_energy", "biomedicine") and rng.random() < 0.5:
        offered.append("equipment_mortgage")
    if enterprise["invention_patents"] > 0:
        offered.append("ip_pledge")
    if enterprise["has_collateral"]:
        offered.append("real_estate_mortgage")
    return offered


def _founded(rng: random.Random, profile: StageProfile) -> date:
    start = date(rng.randint(*profile.founded), 1, 1)
    return min(start + timedelta(days=rng.randrange(365)), REFERENCE_DATE)


def _company_name(
    rng: random.Random, industry: str, joint_stock: bool, taken: set[str]
) -> tuple[str, str, str]:
    """A unique fictional name: 天津 + brand + industry word + 科技有限公司."""
    attempt = 0
    while True:
        # Three-syllable brands only once the two-syllable ones run short.
        brand = rng.sample(BRAND_SYLLABLES, 2 if attempt < 50 else 3)
        word, word_en = rng.choice(NAME_WORDS[industry])
        short = "".join(zh for zh, _ in brand) + word
        if short not in taken:
            taken.add(short)
            break
        attempt += 1
    brand_en = "".join(py for _, py in brand).capitalize()
    form, form_en = ("股份有限公司", "Corporation") if joint_stock else ("有限公司", "Co., Ltd.")
    return (
        f"天津{short}科技{form}",
        f"Tianjin {brand_en} {word_en} Technology {form_en}",
        short,
    )


def _registered_capital(rng: random.Random, profile: StageProfile, big: bool) -> int:
    """Registered capital in yuan, on the right side of the plan's 20-million line."""
    if big:
        return max(BIG_CAPITAL, _round_down(_log_uniform(rng, 20, 150) * MILLION, 100_000))
    return _round_down(_log_uniform(rng, *profile.capital) * MILLION, WAN)


def _financials(
    rng: random.Random, profile: StageProfile, industry: str, founded_year: int, share_capital: int
) -> list[dict]:
    """Two or three consecutive fiscal years, ending 2011 (for some, 2010).

    Revenue is drawn for the latest year and discounted backwards by the
    stage's growth rate; net assets carry the profits forward and never
    drop below a tenth of the share capital (owners top them up).
    """
    last_year = LATEST_FISCAL_YEAR
    if founded_year < LATEST_FISCAL_YEAR - 1 and rng.random() < 0.1:
        last_year -= 1  # the 2011 accounts are not in yet
    first_year = max(founded_year, last_year - (3 if rng.random() < 0.8 else 2) + 1)
    first_year = min(first_year, last_year - 1)  # at least two years; stages keep founding early enough
    years = list(range(first_year, last_year + 1))

    revenues = [_log_uniform(rng, *profile.revenue) * MILLION]
    for _ in years[1:]:
        revenues.insert(0, revenues[0] / (1 + rng.uniform(*profile.growth)))
    base_margin = rng.uniform(*profile.margin)
    margins = [base_margin + rng.uniform(-0.03, 0.03) - 0.01 * (len(years) - 1 - i) for i in range(len(years))]
    profits = [revenue * margin for revenue, margin in zip(revenues, margins)]

    net_assets = _net_assets_path(rng, share_capital, profits)
    intangible_share = rng.uniform(0.05, 0.35) if industry in ("biomedicine", "software_it") else rng.uniform(0.01, 0.2)
    return [
        {
            "year": year,
            "revenue": _money(revenue),
            "net_profit": _money(profit),
            "operating_cash_flow": _money(profit + revenue * rng.uniform(-0.08, 0.1)),
            "net_assets": _money(assets),
            "intangible_assets": _money(assets * intangible_share),
            "share_capital": share_capital,
        }
        for year, revenue, profit, assets in zip(years, revenues, profits, net_assets)
    ]


def _net_assets_path(rng: random.Random, share_capital: int, profits: list[float]) -> list[float]:
    opening = share_capital * rng.uniform(0.8, 1.6)
    path = []
    for profit in profits:
        opening += profit
        path.append(opening)
    shortfall = 0.1 * share_capital - min(path)
    return [assets + max(shortfall, 0) for assets in path]


def _employees(rng: random.Random, profile: StageProfile, revenue: int) -> int:
    """Head count from revenue per employee (0.3–1.2 million), kept within the stage's range."""
    low, high = profile.employees
    return max(low, min(high, round(revenue / rng.uniform(0.3 * MILLION, 1.2 * MILLION))))


def _invention_patents(rng: random.Random, profile: StageProfile, industry: str) -> int:
    most = profile.patents // 3 if industry == "modern_services" else profile.patents
    return int(most * rng.random() ** 1.5)  # skewed: many have few


def _enterprise_description(rng: random.Random, enterprise: dict, short_name: str, founded_year: int) -> str:
    (p1, p1_en), (p2, p2_en) = rng.sample(PRODUCTS[enterprise["industry"]], 2)
    service = enterprise["industry"] in SERVICE_INDUSTRIES
    business = f"提供{p1}和{p2}产品与服务" if service else f"专注于{p1}和{p2}的研发、生产和销售"
    parts = [
        f"{short_name}成立于{founded_year}年，位于天津滨海高新区，{business}。",
        STAGE_SENTENCES[enterprise["stage"]],
    ]
    if enterprise["invention_patents"]:
        parts.append(f"拥有发明专利{enterprise['invention_patents']}项。")
    if enterprise["high_tech_certified"]:
        parts.append("已获得国家级高新技术企业认定。")
    if enterprise["little_giant"]:
        parts.append("入选滨海高新区科技小巨人企业。")
    if enterprise["joint_stock"]:
        parts.append("已完成股份制改造" + ("，并已聘请保荐机构。" if enterprise["sponsor_engaged"] else "。"))
    if rng.random() < 0.5:
        verb = "provides" if service else "develops and makes"
        parts.append(f"The company {verb} {p1_en} and {p2_en}.")
    return "".join(parts)


# --- funding needs ---------------------------------------------------------


def build_needs(rng: random.Random, enterprises: list[dict]) -> list[dict]:
    """About 85% of enterprises ask for money; a fifth of those twice.

    The first enterprise always has a need, so its demo user has one to show.
    """
    needs: list[dict] = []
    for position, enterprise in enumerate(enterprises):
        if rng.random() >= SHARE_WITH_NEED and position > 0:
            continue
        count = 2 if rng.random() < SHARE_WITH_SECOND_NEED else 1
        used: set[str] = set()
        for _ in range(count):
            needs.append(_need(rng, len(needs) + 1, enterprise, used))
    return needs


def _need(rng: random.Random, number: int, enterprise: dict, used_instruments: set[str]) -> dict:
    stage = enterprise["stage"]
    profile = STAGES[stage]
    options = {k: v[0] for k, v in profile.needs.items() if k not in used_instruments} or {
        k: v[0] for k, v in profile.needs.items()
    }
    instrument = _weighted(rng, options)
    used_instruments.add(instrument)
    _, low, high = profile.needs[instrument]
    amount = _round_to(_log_uniform(rng, low, high) * MILLION, 100_000 if high > 3 else 50_000)
    if instrument in LOAN_LIKE and _loan_cap(enterprise) < MIN_TICKET:
        instrument = "equity" if "equity" in profile.needs else instrument  # too small a business to borrow on
    if instrument in LOAN_LIKE:
        amount = max(MIN_TICKET, min(amount, _loan_cap(enterprise)))
    pricing = random.Random(SEED * 1000 + number)  # apart from ``rng``: the rest of the data stays as it was
    amount, stake = _priced_round(pricing, enterprise, amount) if instrument in ("equity", "convertible") else (amount, None)
    if instrument == "equity" and stage == "pre_ipo":
        purpose_key = "pre_ipo"
    else:
        purpose_key = rng.choice(INSTRUMENT_PURPOSES[instrument])
    equity_like = instrument in ("equity", "convertible")
    if equity_like:
        rng.uniform(*profile.equity_pct)  # the draw the stake once came from, so later draws stay as they were
    need = {
        "id": f"need-{number:05d}",
        "enterprise_id": enterprise["id"],
        "title": "",
        "description": "",
        "amount": amount,
        "instrument": instrument,
        "purpose": " ".join(PURPOSES[purpose_key]),
        "term_months": None if equity_like else _term(rng, instrument, amount),
        "equity_offered_pct": stake if equity_like else None,
        "status": _weighted(rng, NEED_STATUS_WEIGHTS),
    }
    need["title"] = _need_title(rng, need, enterprise, purpose_key)
    need["description"] = _need_description(rng, need, enterprise, purpose_key)
    return need


def _loan_cap(enterprise: dict) -> int:
    """The largest loan a lender would size to the business: about half a year's revenue."""
    revenue = enterprise["financials"][-1]["revenue"] if enterprise.get("financials") else 0
    return _round_down(revenue * MAX_LOAN_TO_REVENUE, 50_000)


def _priced_round(rng: random.Random, enterprise: dict, amount: int) -> tuple[int, float]:
    """The ask and the stake offered.  A round is priced on earnings (P/E within the
    stage's range); a loss-maker, or a firm whose profit is a rounding error, on sales with
    a floor for young firms; a profitable firm never above ``MAX_PE``.  The stake stays at
    most ``MAX_STAKE_PCT``, cutting the ask where it would exceed it."""
    latest = enterprise["financials"][-1] if enterprise.get("financials") else {}
    profit, revenue = latest.get("net_profit") or 0, latest.get("revenue") or 0
    stage = enterprise["stage"]
    on_sales = max(rng.uniform(*ROUND_PS) * revenue, _log_uniform(rng, *LOSS_MAKER_FLOOR[stage]) * MILLION)
    if profit > 0:
        valuation = rng.uniform(*ROUND_PE[stage]) * profit
        if revenue and profit < EARNINGS_BASIS_MARGIN * revenue:
            valuation = max(valuation, on_sales)
        valuation = min(valuation, MAX_PE * profit)
    else:
        valuation = on_sales
    stake = 100 * amount / valuation
    if stake > MAX_STAKE_PCT:
        amount = max(10_000, _round_down(valuation * MAX_STAKE_PCT / 100, 10_000 if valuation < 3 * MILLION else 100_000))
        stake = 100 * amount / valuation
    return amount, round(min(max(stake, 1.0), MAX_STAKE_PCT), 1)


def _term(rng: random.Random, instrument: str, amount: int) -> int:
    if instrument == "debt" and amount <= SMALL_LOAN:
        return rng.choice(TERMS["small_debt"])
    return rng.choice(TERMS[instrument])


def _patent_pledge(need: dict, enterprise: dict) -> bool:
    """Loans without collateral lean on patents: 知识产权质押."""
    return need["instrument"] == "debt" and enterprise["invention_patents"] > 0 and not enterprise["has_collateral"]


def _need_title(rng: random.Random, need: dict, enterprise: dict, purpose_key: str) -> str:
    purpose = PURPOSES[purpose_key][0]
    amount = _amount_text(need["amount"])
    instrument = need["instrument"]
    if instrument == "equity":
        return f"{EQUITY_ROUNDS[enterprise['stage']]} 股权融资{amount}（{purpose}）"
    if _patent_pledge(need, enterprise):
        suffix = " patent-pledge loan" if rng.random() < 0.5 else ""
        return f"知识产权质押贷款{amount}{suffix}"
    title = f"{purpose}{INSTRUMENT_WORDS[instrument][0]}{amount}"
    if rng.random() < 0.3:
        purpose_en, instrument_en = PURPOSES[purpose_key][1], INSTRUMENT_WORDS[instrument][1]
        title += " " + (instrument_en if purpose_en in instrument_en else f"{purpose_en} {instrument_en}")
    return title


def _need_description(rng: random.Random, need: dict, enterprise: dict, purpose_key: str) -> str:
    purpose, purpose_en = PURPOSES[purpose_key]
    instrument_zh, instrument_en = INSTRUMENT_WORDS[need["instrument"]]
    product = rng.choice(PRODUCTS[enterprise["industry"]])[0]
    parts = [f"公司主营{product}业务，拟通过{instrument_zh}筹集{_amount_text(need['amount'])}，用于{purpose}。"]
    if need["term_months"]:
        parts.append(f"期限{need['term_months']}个月。")
    if need["instrument"] == "equity":
        parts.append(f"拟出让股权约{need['equity_offered_pct']}%。")
    elif need["instrument"] == "convertible":
        parts.append(f"转股后投资方持股约{need['equity_offered_pct']}%。")
    if need["instrument"] in ("debt", "guarantee"):
        if enterprise["has_collateral"]:
            parts.append("可提供厂房或设备抵押。")
        elif _patent_pledge(need, enterprise):
            parts.append(f"以{enterprise['invention_patents']}项发明专利作知识产权质押。")
        else:
            parts.append("可提供应收账款质押或股东个人担保。")
    if rng.random() < 0.4:
        millions = need["amount"] / MILLION
        parts.append(f"Seeking CNY {millions:g} million ({instrument_en}) for {purpose_en}.")
    return "".join(parts)


# --- accounts --------------------------------------------------------------


def build_accounts(institutions: list[dict], enterprises: list[dict]) -> list[dict]:
    """Admin, staff, and demo users for three enterprises and three institutions.

    enterprise1 is ent-0001, enterprise2 the first pre-IPO enterprise (a listing
    candidate), enterprise3 the first little giant; institution1 is inst-001
    (venture capital), institution2 the first guarantee company, institution3
    the first bank. Small data sets fall back to the next enterprises in line.
    """
    accounts = [
        _account("admin", "admin", "系统管理员 Administrator"),
        _account("staff", "staff", "园区工作人员 Zone staff"),
    ]
    demo_enterprises = _first_three([
        enterprises[0] if enterprises else None,
        _first(enterprises, "stage", "pre_ipo"),
        next((e for e in enterprises if any(c["kind"] == "little_giant" for c in e.get("certifications") or [])), None),
        *enterprises[1:3],
    ])
    for number, enterprise in enumerate(demo_enterprises, 1):
        accounts.append(
            _account(f"enterprise{number}", "enterprise", enterprise["name"], enterprise_id=enterprise["id"])
        )
    demo_institutions = _first_three([
        institutions[0],
        _first(institutions, "type", "guarantee"),
        _first(institutions, "type", "bank"),
    ])
    for number, institution in enumerate(demo_institutions, 1):
        accounts.append(
            _account(f"institution{number}", "institution", institution["name"], institution_id=institution["id"])
        )
    return accounts


def _account(username: str, role: str, display_name: str, enterprise_id=None, institution_id=None) -> dict:
    return {
        "username": username,
        "password": PASSWORDS[role],
        "role": role,
        "enterprise_id": enterprise_id,
        "institution_id": institution_id,
        "display_name": display_name,
    }


def _first(documents: list[dict], key: str, value) -> dict | None:
    return next((document for document in documents if document[key] == value), None)


def _first_three(documents: list[dict | None]) -> list[dict]:
    """The first three distinct documents, skipping gaps."""
    chosen: list[dict] = []
    for document in documents:
        if document is not None and len(chosen) < 3 and all(document["id"] != c["id"] for c in chosen):
            chosen.append(document)
    return chosen


# --- small helpers ---------------------------------------------------------


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    """Sizes spread over orders of magnitude: many small, few large."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _round_to(value: float, unit: int) -> int:
    return max(unit, int(round(value / unit)) * unit)


def _round_down(value: float, unit: int) -> int:
    return int(value // unit) * unit


def _money(value: float) -> int:
    """Financial figures are kept to the thousand yuan."""
    return int(round(value / 1000)) * 1000


def _amount_text(amount: int) -> str:
    """1,500,000 -> "150万元"; 120,000,000 -> "1.2亿元"."""
    if amount >= 100_000_000:
        return f"{amount / 100_000_000:g}亿元"
    return f"{amount / WAN:g}万元"
