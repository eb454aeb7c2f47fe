"""Demo firms for the listing boards since 2019 (STAR, BSE), ready and not ready.

They show the rule sets of the registration era beside the 2012 ones: staff assess them
at a later date (``as_of`` 2023-06-30, or today).  A firm is loaded only when "today"
(``clock.today()``) is past its founding and its last fiscal year, so a demo that reads
today as 2012-06-30 holds no firm from its future.
"""
from __future__ import annotations

from datetime import date

from ..clock import today as clock_today

M = 1_000_000
Y = 100_000_000


def _year(y, revenue, profit, net_assets, *, rd, employees, rd_staff, cash_flow=None, share_capital=60 * M, **extra) -> dict:
    return {"year": y, "revenue": revenue, "net_profit": profit, "operating_cash_flow": profit if cash_flow is None else cash_flow,
            "net_assets": net_assets, "intangible_assets": 8 * M, "share_capital": share_capital,
            "total_liabilities": net_assets // 2, "retained_earnings": net_assets - share_capital - 40 * M,
            "rd_expenses": rd, "employees": employees, "rd_staff": rd_staff, **extra}


def _firm(number: int, **fields) -> dict:
    return {
        "id": f"ent-b{number:03d}", "registered_capital": 60 * M, "has_collateral": False, "joint_stock": True, "sponsor_engaged": True, "tutoring_filed": True,
        "stage": "pre_ipo", **fields,
    }


def enterprises(today: date | None = None) -> list[dict]:
    """Five firms: a STAR chip designer ready through standard (1), a loss-making biotech
    ready through standard (5), a chip start-up short of every standard, a specialised SME
    on NEEQ's innovation tier ready for the BSE, and one on the basic tier that is not;
    those that exist by ``today`` (default ``clock.today()``)."""
    today = today or clock_today()
    return [firm for firm in _all() if date.fromisoformat(firm["founded"]) <= today
            and all(year["year"] < today.year for year in firm["financials"])]


def _all() -> list[dict]:
    return [
        _firm(1, name="芯智微电子股份有限公司", name_en="Xinzhi Microelectronics", industry="software_it", founded="2014-09-01",
              employees=320, invention_patents=14, invention_patents_main_business=11,
              description="车规级功率芯片设计 automotive power chips (fabless)",
              valuation={"amount": 32 * Y, "as_of": "2023-03-15", "basis": "last_round"},
              equity_financings=[{"kind": "round", "amount": 3 * Y, "closed_on": "2021-06-18", "post_money": 25 * Y},
                                 {"kind": "round", "amount": 4 * Y, "closed_on": "2023-03-15", "post_money": 32 * Y}],
              governance={"converted_at_book_value": True, "converted_on": "2019-12-01"}, application_accepted=True,
              financials=[_year(2019, 120 * M, 8 * M, 400 * M, rd=20 * M, employees=220, rd_staff=90),
                          _year(2020, 170 * M, 18 * M, 420 * M, rd=28 * M, employees=260, rd_staff=100),
                          _year(2021, 240 * M, 36 * M, 460 * M, rd=36 * M, employees=290, rd_staff=110),
                          _year(2022, 330 * M, 52 * M, 520 * M, rd=45 * M, employees=320, rd_staff=120)]),
        _firm(2, name="康源生物医药股份有限公司", name_en="Kangyuan Biopharma", industry="biomedicine", founded="2013-05-01",
              employees=210, invention_patents=22, invention_patents_main_business=18, major_product_milestone=True,
              description="抗肿瘤单抗，核心产品已获准开展二期临床 an anti-tumour antibody in phase II trials",
              valuation={"amount": 45 * Y, "as_of": "2023-01-10", "basis": "last_round"},
              governance={"converted_at_book_value": True, "converted_on": "2018-08-01"},
              financials=[_year(2019, 3 * M, -60 * M, 900 * M, rd=55 * M, employees=150, rd_staff=100, cash_flow=-50 * M),
                          _year(2020, 5 * M, -80 * M, 1100 * M, rd=70 * M, employees=170, rd_staff=115, cash_flow=-70 * M),
                          _year(2021, 8 * M, -95 * M, 1300 * M, rd=85 * M, employees=190, rd_staff=125, cash_flow=-85 * M),
                          _year(2022, 12 * M, -110 * M, 1500 * M, rd=100 * M, employees=210, rd_staff=140, cash_flow=-95 * M)]),
        _firm(3, name="海芯半导体股份有限公司", name_en="Haixin Semiconductor", industry="software_it", founded="2017-03-01",
              employees=140, invention_patents=6, invention_patents_main_business=6, sponsor_engaged=False, tutoring_filed=False,
              description="射频前端芯片 RF front-end chips, still in losses",
              valuation={"amount": 12 * Y, "as_of": "2023-05-01", "basis": "staff_estimate"},
              equity_financings=[{"kind": "round", "amount": 2 * Y, "closed_on": "2022-09-20", "post_money": 10 * Y}],
              financials=[_year(2019, 40 * M, -30 * M, 200 * M, rd=20 * M, employees=90, rd_staff=50),
                          _year(2020, 80 * M, -25 * M, 260 * M, rd=30 * M, employees=110, rd_staff=60),
                          _year(2021, 130 * M, -20 * M, 300 * M, rd=35 * M, employees=125, rd_staff=70),
                          _year(2022, 180 * M, -12 * M, 330 * M, rd=40 * M, employees=140, rd_staff=75)]),
        _firm(4, name="精测传感技术股份有限公司", name_en="Jingce Sensing", industry="advanced_manufacturing", founded="2011-04-01",
              employees=260, invention_patents=9, description="工业压力传感器，专精特新 specialised industrial pressure sensors",
              listings=[{"market": "neeq", "on": "2020-05-08", "code": "873101"}], neeq_tier={"tier": "innovation", "since": "2021-05-28"},
              shareholders=260, offering={"shares": 12_000_000, "investors": 300}, neeq_broker_engaged=True, neeq_approved=True,
              valuation={"amount": 6 * Y, "as_of": "2023-04-01", "basis": "staff_estimate"},
              equity_financings=[{"kind": "placement", "amount": 30 * M, "closed_on": "2021-11-10", "post_money": 5 * Y},
                                 {"kind": "placement", "amount": 20 * M, "closed_on": "2022-12-06", "post_money": 6 * Y}],
              financials=[_year(2020, 150 * M, 14 * M, 150 * M, rd=9 * M, employees=220, rd_staff=40, share_capital=50 * M),
                          _year(2021, 180 * M, 18 * M, 168 * M, rd=11 * M, employees=240, rd_staff=45, share_capital=50 * M),
                          _year(2022, 210 * M, 20 * M, 188 * M, rd=13 * M, employees=260, rd_staff=50, share_capital=50 * M)]),
        _firm(5, name="滨海智控科技股份有限公司", name_en="Binhai Smart Control", industry="advanced_manufacturing", founded="2015-06-01",
              employees=120, invention_patents=3, description="楼宇智能控制系统 building control systems, quoted on NEEQ's basic tier",
              listings=[{"market": "neeq", "on": "2021-09-15", "code": "873502"}], neeq_tier={"tier": "basic", "since": "2021-09-15"},
              shareholders=150, neeq_broker_engaged=True, neeq_approved=True, sponsor_engaged=False, tutoring_filed=False,
              valuation={"amount": 250 * M, "as_of": "2023-02-01", "basis": "staff_estimate"},
              equity_financings=[{"kind": "placement", "amount": 10 * M, "closed_on": "2022-06-30", "post_money": 250 * M}],
              financials=[_year(2021, 70 * M, 9 * M, 60 * M, rd=4 * M, employees=110, rd_staff=20, share_capital=30 * M),
                          _year(2022, 80 * M, 12 * M, 72 * M, rd=5 * M, employees=120, rd_staff=22, share_capital=30 * M)]),
    ]


def documents():
    """The firms as import documents (after the 2012 demo's own)."""
    for firm in enterprises():
        yield {"kind": "enterprise", **firm}
