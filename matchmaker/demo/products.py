"""What the demo's institutions say beyond their profile (DOMAIN.md, "Institutions:
realistic ranges" and "Counter-guarantees and security"): the products of the banks and
microcredit companies, the counter-guarantees each accepts, the guarantee companies'
net assets, outstanding guarantees and partner banks, and which investors' industries
are a mandate.  Keyed by the institution's number in :data:`matchmaker.demo.INSTITUTIONS`.

Figures are in the ranges of the zone's institutions around 2012: a microcredit company
with 1-3亿 of net capital (so the 5% single-borrower cap is 500万-1500万), guarantee
companies with 1.5-5亿 of net assets running at 4-7x leverage (the limit is 10x).
"""
from __future__ import annotations

WAN = 10_000
YI = 100_000_000

#: The zone's risk-compensation pool for loans to registered tech SMEs (matchmaker.demo.fund's programme).
RISK_POOL = "demo-programme-risk_pool"
#: Interest subsidy on bank loans to tech SMEs.
INTEREST_SUBSIDY = "demo-programme-interest_subsidy"

JINCHENG_TECH = "inst-018"  # 津城银行天津滨海科技支行
BOHAI_TECH = "inst-019"  # 渤海商业银行天津高新区科技支行

EXTRAS: dict[int, dict] = {
    # a government-backed venture capital firm: minority stakes only
    1: {"minority_only": True},
    # the biomedicine specialist says its industry is a mandate
    2: {"industry_mandate": True},
    # guarantee companies: the controller's guarantee is taken with a pledge (listed here)
    9: {
        "counter_guarantees_accepted": ["equity_pledge", "ip_pledge", "receivables_pledge", "real_estate_mortgage"],
        "net_capital": 3 * YI, "guarantee_outstanding": 18 * YI, "small_micro_focus": True,
        "partner_banks": [JINCHENG_TECH, BOHAI_TECH],
    },
    10: {
        "counter_guarantees_accepted": ["equity_pledge", "receivables_pledge", "equipment_mortgage", "real_estate_mortgage"],
        "net_capital": 5 * YI, "guarantee_outstanding": 32 * YI,
        "partner_banks": [BOHAI_TECH, JINCHENG_TECH],
    },
    11: {
        "counter_guarantees_accepted": ["ip_pledge", "receivables_pledge", "equity_pledge"],
        "net_capital": 15_000 * WAN, "guarantee_outstanding": 6 * YI, "small_micro_focus": True,
        "partner_banks": [JINCHENG_TECH],
    },
    # microcredit companies: 5% of net capital per borrower (银监发〔2008〕23号)
    12: {"net_capital": 2 * YI, "counter_guarantees_accepted": ["personal_guarantee", "equity_pledge", "receivables_pledge", "ip_pledge"]},
    13: {"net_capital": 6_000 * WAN, "counter_guarantees_accepted": ["real_estate_mortgage", "equipment_mortgage", "receivables_pledge"]},
    14: {
        "net_capital": 15_000 * WAN,
        "products": [
            {"id": "credit", "name": "科技型小微企业信用贷款", "name_en": "Credit loan for tech micro firms",
             "ticket_min": 20 * WAN, "ticket_max": 200 * WAN, "term_months_max": 12,
             "counter_guarantees_accepted": ["personal_guarantee"]},
            {"id": "ip", "name": "知识产权质押小额贷款", "name_en": "IP-pledge small loan",
             "ticket_min": 50 * WAN, "ticket_max": 500 * WAN, "term_months_max": 12, "counter_guarantees_accepted": ["ip_pledge"]},
        ],
    },
    # banks' technology sub-branches: distinct products, each with its own ticket, term and rules
    18: {
        "products": [
            {"id": "ip_pledge", "name": "知识产权质押贷款", "name_en": "IP-pledge loan", "ticket_min": 100 * WAN,
             "ticket_max": 1000 * WAN, "term_months_max": 36, "counter_guarantees_accepted": ["ip_pledge"],
             "programmes": [INTEREST_SUBSIDY],
             "description": "以发明专利、实用新型专利或软件著作权质押，贷款额一般为评估价值的25%-40%。"
                            "Up to 25-40% of the patents' appraised value."},
            {"id": "working_capital", "name": "流动资金贷款", "name_en": "Working-capital loan", "ticket_min": 100 * WAN,
             "ticket_max": 5000 * WAN, "term_months_max": 12,
             "counter_guarantees_accepted": ["real_estate_mortgage", "equipment_mortgage", "receivables_pledge"],
             "description": "按营业收入测算流动资金需求。Sized from turnover."},
            {"id": "risk_pool", "name": "风险补偿资金池信用贷款", "name_en": "Risk-pool credit loan", "ticket_min": 100 * WAN,
             "ticket_max": 500 * WAN, "term_months_max": 12, "counter_guarantees_accepted": ["personal_guarantee"],
             "programmes": [RISK_POOL, INTEREST_SUBSIDY],
             "description": "纳入园区风险补偿资金池的科技型中小企业可获信用贷款，实际控制人提供连带责任保证。"
                            "Credit loans for tech SMEs covered by the zone's risk-compensation pool."},
            {"id": "order", "name": "订单贷款", "name_en": "Purchase-order loan", "ticket_min": 100 * WAN,
             "ticket_max": 2000 * WAN, "term_months_max": 12, "counter_guarantees_accepted": ["receivables_pledge"],
             "description": "以真实订单和应收账款质押。Against confirmed orders and their receivables."},
        ],
    },
    19: {
        "counter_guarantees_accepted": ["real_estate_mortgage", "equipment_mortgage"],
        "products": [
            {"id": "working_capital", "name": "流动资金贷款", "name_en": "Working-capital loan", "term_months_max": 12},
            {"id": "project", "name": "项目贷款", "name_en": "Project loan", "ticket_min": 500 * WAN, "term_months_max": 60,
             "counter_guarantees_accepted": ["real_estate_mortgage"]},
            {"id": "equity_pledge", "name": "股权质押贷款", "name_en": "Equity-pledge loan", "ticket_min": 500 * WAN,
             "term_months_max": 36, "counter_guarantees_accepted": ["equity_pledge"]},
        ],
    },
    20: {"counter_guarantees_accepted": ["equipment_mortgage", "personal_guarantee"]},
}


def extras(number: int) -> dict:
    """The fields institution ``number`` carries beyond its profile (empty when none)."""
    return dict(EXTRAS.get(number, {}))
