"""The words for every code: one table, Chinese and English, read by the pages, the exports,
the notifications, the scoring reasons and the demo.

Each code has its label (``W(en, zh)``), and where a use needs other words, a ``short``
form (report columns and exports, ``zh_short``) and a ``long`` form (said inside a
sentence: scoring reasons, notifications, ``en_long`` "venture capital firm").  A form not
given falls back to the label.  The codes of ``vocabulary.py`` are this table's keys, so a
new institution type, industry or status is one line here (``tests/test_labels.py`` checks
that every code used elsewhere has its words).
"""
from __future__ import annotations

from typing import NamedTuple

FORMS = ("label", "short", "long")


class W(NamedTuple):
    """The words of one code."""

    en: str
    zh: str
    en_short: str | None = None
    zh_short: str | None = None
    en_long: str | None = None
    zh_long: str | None = None

    def say(self, lang: str = "zh", form: str = "label") -> str:
        lang = "en" if lang == "en" else "zh"
        if form != "label":
            found = getattr(self, f"{lang}_{form}")
            if found:
                return found
        return getattr(self, lang)

    def both(self, form: str = "label") -> dict[str, str]:
        """``{"en", "zh"}``, as the services that answer in both languages write them."""
        return {"en": self.say("en", form), "zh": self.say("zh", form)}


#: kind -> code -> its words (the kinds are those of DOMAIN.md and of the services' records)
LABELS: dict[str, dict] = {
    "type": {
        "venture_capital": W("Venture capital", "创业投资", zh_short="创投", en_long="venture capital firm", zh_long="创投公司"),
        "angel": W("Angel investment", "天使投资", en_long="angel investor"),
        "guarantee": W("Financing guarantee", "融资担保", en_long="guarantee company", zh_long="融资担保公司"),
        "microcredit": W("Microcredit", "小额贷款", en_long="microcredit company", zh_long="小额贷款公司"),
        "industry_fund": W("Industry fund", "产业基金", en_long="industry fund"),
        "bank": W("Bank / tech sub-branch", "银行/科技支行", en_long="bank", zh_long="银行"),
        "leasing": W("Financial leasing", "融资租赁", en_long="leasing company", zh_long="融资租赁公司"),
    },
    "instrument": {
        "equity": W("Equity", "股权", en_long="equity investment", zh_long="股权投资"),
        "convertible": W("Convertible", "可转债", en_long="convertible loans"),
        "debt": W("Loan", "贷款", en_long="loans"),
        "guarantee": W("Guarantee", "担保", en_long="loan guarantees", zh_long="融资担保"),
        "leasing": W("Leasing", "融资租赁", en_long="financial leasing"),
    },
    "industry": {
        "new_energy": W("New energy", "新能源", en_long="new energy"),
        "advanced_manufacturing": W("Advanced manufacturing", "先进制造", en_long="advanced manufacturing"),
        "modern_services": W("Modern services", "现代服务业", en_long="modern services"),
        "software_it": W("Software and IT", "软件与高端IT", en_long="software and IT"),
        "biomedicine": W("Biomedicine", "生物医药", en_long="biomedicine"),
        "other": W("Other", "其他", en_long="other industries", zh_long="其他行业"),
    },
    "stage": {
        "seed": W("Seed", "种子期", en_long="seed"),
        "startup": W("Start-up", "初创期", en_long="start-up"),
        "growth": W("Growth", "成长期", en_long="growth"),
        "expansion": W("Expansion", "扩张期", en_long="expansion"),
        "pre_ipo": W("Pre-IPO", "上市前", en_long="pre-IPO"),
    },
    "need_status": {
        "draft": W("Draft", "草稿"),
        "open": W("Open", "征集中"),
        "in_talks": W("In talks", "洽谈中"),
        "funded": W("Funded", "已融资"),
        "closed": W("Closed", "已关闭"),
        "withdrawn": W("Withdrawn", "已撤回"),
    },
    "institution_status": {
        "target": W("Target", "目标机构", zh_short="目标"),
        "negotiating": W("Negotiating", "洽谈中"),
        "entered": W("Entered the zone", "已入驻"),
    },
    "tier": {
        "nest": W("Nest (start-ups)", "筑巢计划（初创企业）", zh_short="筑巢计划"),
        "grow": W("Grow (under 100 million)", "培增计划（营收1亿元以下）", zh_short="培增计划"),
        "excel": W("Excel (100 million and more)", "卓越计划（营收1亿元及以上）", zh_short="卓越计划"),
    },
    "role": {
        "enterprise": W("Enterprise", "企业"),
        "institution": W("Institution", "机构"),
        "staff": W("Zone staff", "园区工作人员"),
        "admin": W("Administrator", "系统管理员"),
    },
    "pipeline_stage": {
        "cultivation": W("Cultivation", "培育"),
        "shareholding_reform": W("Shareholding reform", "股份制改造"),
        "tutoring": W("Tutoring", "辅导"),
        "filed": W("Application filed", "已申报"),
        "listed": W("Listed", "已上市"),
    },
    "meeting_status": {
        "proposed": W("Proposed", "待确认"),
        "confirmed": W("Confirmed", "已确认"),
        "held": W("Held", "已举行"),
        "cancelled": W("Cancelled", "已取消"),
    },
    "answer": {
        "pending": W("No answer yet", "待答复"),
        "confirmed": W("Confirmed", "已确认"),
        "declined": W("Declined", "已婉拒"),
    },
    "outcome": {
        "no_further_contact": W("No further contact", "不再跟进"),
        "follow_up": W("Follow-up", "继续跟进"),
        "term_sheet": W("Term sheet", "签署投资意向书"),
        "funded": W("Funding completed", "完成融资"),
        "declined": W("Declined", "已婉拒"),
    },
    "interest": {
        "interested": W("Interested", "有意向"),
        "declined": W("Declined", "已婉拒"),
    },
    "factor": {
        "industry": W("Industry", "行业"),
        "stage": W("Stage", "发展阶段"),
        "ticket": W("Amount", "金额"),
        "text": W("Description", "描述"),
        "strength": W("Strength", "企业实力"),
        "designations": W("Designations", "资质"),
        "term": W("Term", "期限"),
        "presence": W("In the zone", "入驻情况"),
        "cost": W("Cost", "成本"),
        "instrument": W("Instrument", "融资方式"),
        "ticket_range": W("Ticket range", "金额区间"),
        "min_revenue": W("Minimum revenue", "最低营收"),
        "min_years": W("Years in business", "经营年限"),
        "collateral": W("Collateral", "抵押物"),
        "high_tech": W("High-tech certificate", "高新技术企业认定"),
        "single_borrower": W("Single-borrower limit", "单户限额"),
        "credit": W("Credit", "授信"),
        "industry_mandate": W("Industry mandate", "投资范围限定"),
        "counter_guarantee": W("Counter-guarantee", "反担保"),
        "profitable": W("Profit in the latest year", "最近一年盈利"),
        "cash_flow": W("Operating cash flow", "经营活动现金流"),
        "term_max": W("Longest term", "最长期限"),
        "minority_stake": W("Minority stake", "参股比例"),
        "single_borrower_cap": W("Single-borrower limit", "单户限额"),
        "guarantee_capacity": W("Guarantee leverage limit", "担保放大倍数上限"),
        "policy": W("Policy support", "政策支持"),
        "valuation": W("Valuation", "估值"),
    },
    "decline_reason": {
        "outside_mandate": W("Outside our mandate", "不在业务范围"),
        "amount_out_of_range": W("Amount outside our range", "金额不符"),
        "stage_not_fit": W("Stage does not fit", "阶段不符"),
        "industry_not_fit": W("Industry does not fit", "行业不符"),
        "insufficient_information": W("Not enough information", "信息不足"),
        "risk_too_high": W("Risk too high", "风险过高"),
        "no_capacity": W("No capacity left", "额度已满"),
        "other": W("Another reason", "其他原因"),
    },
    "intro_status": {
        "requested": W("Requested", "已申请"),
        "arranged": W("Meeting arranged", "已安排会面"),
        "declined": W("Declined", "已婉拒"),
    },
    "notification_kind": {
        "saved_search_match": W("New need for a saved search", "保存的搜索有新需求"),
        "interest": W("Answer to a need", "需求收到回应"),
        "introduction_requested": W("Introduction requested", "已申请对接"),
        "meeting_proposed": W("Meeting proposed", "会面提议"),
        "meeting_changed": W("Meeting changed", "会面有变化"),
        "deadline_passed": W("Response deadline passed", "回应期限已过"),
        "grant_changed": W("Special-fund grant", "专项资金"),
        "pool_changed": W("Listing reserve pool", "上市后备企业库"),
        "meeting_reminder": W("Meeting reminder", "会面提醒"),
        "need_assigned": W("Need assigned to you", "指派给您的需求"),
        "need_escalated": W("Late need escalated", "逾期需求升级"),
        "claim_changed": W("Claim on a need", "揭榜"),
        "registration_pending": W("Sign-up awaiting approval", "注册待审核"),
    },
    "delivery_status": {
        "pending": W("Waiting to be sent", "等待发送"),
        "sent": W("Sent", "已发送"),
        "failed": W("Given up", "已放弃"),
    },
    "channel": {
        "email": W("Email", "电子邮件"),
        "wecom": W("WeCom group robot", "企业微信群机器人"),
        "dingtalk": W("DingTalk group robot", "钉钉群机器人"),
        "feishu": W("Feishu group robot", "飞书群机器人"),
        "webhook": W("Webhook", "Webhook推送"),
    },
    "language": {
        "zh": W("Chinese", "中文"),
        "en": W("English", "英文"),
    },
    "registration_status": {
        "unconfirmed": W("Email not confirmed yet", "邮箱未确认"),
        "pending": W("Awaiting approval", "待审核"),
        "approved": W("Approved", "已批准"),
        "refused": W("Refused", "未获批准"),
    },
    "audit_action": {
        "create": W("created", "创建"),
        "update": W("changed", "修改"),
        "delete": W("deleted", "删除"),
        "confirm": W("confirmed", "确认"),
        "decline": W("declined", "婉拒"),
        "cancel": W("cancelled", "已取消"),
        "held": W("recorded as held", "记为已举行"),
        "outcome": W("outcome recorded", "记录结果"),
        "correct": W("outcome corrected", "结果已更正"),
        "pick": W("times picked", "已选择时间"),
        "assign": W("owner assigned", "已指派负责人"),
        "report": W("progress reported", "已报告进展"),
        "lapse": W("claim lapsed", "揭榜已失效"),
        "apply": W("applied", "已申请"),
        "approve": W("approved", "已批准"),
        "reject": W("rejected", "未获批准"),
        "pay": W("paid", "已拨付"),
        "stage": W("stage recorded", "阶段已登记"),
        "download": W("downloaded", "已下载"),
        "exit": W("left the pool", "出库"),
        "dismiss": W("suggestion dismissed", "不予入库"),
    },
    "object_kind": {
        "need": W("Need", "需求"),
        "meeting": W("Meeting", "会面"),
        "institution": W("Institution", "机构"),
        "enterprise": W("Enterprise", "企业"),
        "account": W("Account", "账户"),
        "interest": W("Answer", "回应"),
        "introduction": W("Introduction", "对接申请"),
        "saved_search": W("Saved search", "保存的搜索"),
        "plan": W("Yearly plan", "年度计划"),
        "indicator": W("Programme indicator", "计划指标"),
        "claim": W("Claim", "揭榜"),
        "deal": W("Pipeline deal", "项目库项目"),
        "programme": W("Programme", "项目"),
        "grant": W("Grant", "专项资金申请"),
        "pool_entry": W("Reserve-pool entry", "后备库企业"),
        "document": W("Document", "文件"),
    },
    "deal_stage": {
        "screening": W("Screening", "初筛"),
        "due_diligence": W("Due diligence", "尽职调查"),
        "term_sheet": W("Term sheet", "签署投资意向书"),
        "funded": W("Funded", "已融资"),
        "passed": W("Passed", "放弃"),
    },
    "bool": {
        True: W("Yes", "是"),
        False: W("No", "否"),
    },
    "progress": {
        "new_smes": W("New tech SMEs", "新增科技型中小企业"),
        "new_smes_large_capital": W("of them with 20 million+ capital", "其中注册资本2000万元以上"),
        "new_little_giants": W("New tech little giants", "新增科技小巨人"),
        "new_high_tech": W("New high-tech enterprises", "新增国家级高新技术企业"),
        "patent_applications": W("Patent applications", "专利申请量"),
        "invention_patents_per_10k_employees": W("Invention patents per 10,000 employees", "万人新增发明专利"),
        "institutions_entered": W("Institutions entered", "新引进金融机构"),
        "new_listings": W("New listings", "新增上市企业"),
        "new_neeq_quotations": W("New NEEQ quotations", "新三板新增挂牌"),
        "special_fund_committed": W("Special fund committed", "专项资金已承诺", zh_short="专项资金已承诺（元）"),
        "special_fund_paid": W("Special fund paid", "专项资金已拨付", zh_short="专项资金已拨付（元）"),
        "incubator_m2": W("Incubator space built (m²)", "新建孵化器面积（平方米）"),
        "alliances": W("Industry–university alliances", "产学研联盟"),
        "rd_institutions": W("R&D institutions", "研发机构"),
        "new_listings_aim": W("New listings, the aim", "新增上市企业（力争）"),
        "special_fund_budget": W("Special fund budget", "专项资金预算"),
    },
    "certification_kind": {
        "high_tech": W("National high-tech enterprise", "国家级高新技术企业"),
        "little_giant": W("Tech little giant", "科技小巨人"),
        "tech_sme": W("Tech SME (national evaluation)", "科技型中小企业（国家评价）"),
        "specialized": W("Specialized and innovative (专精特新)", "专精特新"),
    },
    "listing_market": {
        "sse_main": W("Shanghai main board", "上交所主板"),
        "szse_main": W("Shenzhen main board", "深交所主板"),
        "sme": W("SME board", "中小板"),
        "chinext": W("ChiNext", "创业板"),
        "star": W("STAR market", "科创板"),
        "bse": W("Beijing Stock Exchange", "北京证券交易所"),
        "neeq": W("NEEQ", "新三板"),
        "hkex": W("Hong Kong", "香港联交所"),
        "overseas": W("Overseas", "境外"),
    },
    #: the boards of the listing rule files (``scoring/defaults/boards``), by their ``board``
    "board": {
        "main": W("Main Board", "主板"),
        "sme": W("SME board", "中小板"),
        "chinext": W("ChiNext", "创业板"),
        "star": W("STAR market", "科创板"),
        "bse": W("Beijing Stock Exchange", "北交所"),
        "neeq": W("NEEQ", "新三板"),
        "neeq_innovation": W("NEEQ innovation tier", "新三板创新层"),
    },
    "tier_service": {
        "incubator_space": W("Incubator space", "孵化载体"),
        "startup_mentor": W("A start-up mentor", "创业导师"),
        "angel_fund": W("Angel money", "天使资金"),
        "market_development": W("Help opening markets", "市场开拓支持"),
        "professional_training": W("Professional training", "专业培训"),
        "entrepreneur_training": W("Training for entrepreneurs", "企业家培训"),
        "market_financing": W("Support for market financing", "市场化融资支持"),
        "little_giant_cultivation": W("Little-giant cultivation", "小巨人培育"),
        "industrialization_research": W("Funds for industrialization research", "产业化研究资金支持"),
        "new_product_market": W("Funds for bringing new products to market", "新产品市场培育资金支持"),
        "mergers_and_groups": W("Funds for mergers, restructuring and group development", "兼并、重组、集团化发展资金支持"),
        "shareholding_reform_and_listing": W("Support for shareholding reform and listing", "股份制改造和上市融资支持"),
    },
    "plan_source": {
        "plan": W("set for this year", "本年度已设定"),
        "inherited": W("taken over from an earlier year", "沿用以前年度计划"),
        "defaults": W("the configured defaults", "默认目标"),
    },
    "counter_guarantee": {
        "personal_guarantee": W("Controller's personal guarantee", "实际控制人连带责任保证", en_long="the actual controller's personal guarantee"),
        "equity_pledge": W("Equity pledge", "股权质押", en_long="an equity pledge"),
        "receivables_pledge": W("Receivables pledge", "应收账款质押", en_long="a receivables pledge"),
        "ip_pledge": W("IP pledge", "知识产权质押", en_long="an IP pledge"),
        "equipment_mortgage": W("Equipment mortgage", "设备抵押", en_long="an equipment mortgage"),
        "real_estate_mortgage": W("Real-estate mortgage", "房产/土地抵押", en_long="a real-estate mortgage"),
    },
    "programme_kind": {
        "interest_subsidy": W("Interest subsidy", "贷款贴息"),
        "fee_subsidy": W("Guarantee-fee subsidy", "担保费补贴"),
        "risk_pool": W("Risk-compensation pool", "风险补偿资金池"),
        "listing_award": W("Listing award", "上市奖励"),
        "angel_coinvest": W("Angel co-investment", "天使跟投"),
        "other": W("Other support", "其他扶持"),
    },
    "grant_status": {
        "applied": W("Applied", "已申请"),
        "approved": W("Approved", "已过会", zh_short="已批准"),
        "paid": W("Paid", "已拨付"),
        "rejected": W("Rejected", "未获批准"),
    },
    "pool_stage": {
        "cultivation": W("Cultivation", "培育", zh_short="培育期"),
        "shareholding_reform": W("Shareholding reform", "股份制改造", zh_short="已股改"),
        "tutoring": W("Tutoring", "辅导", zh_short="辅导期"),
        "filed": W("Application filed", "已申报"),
        "review": W("Review", "审核", zh_short="审核/注册"),
        "listed": W("Listed", "已上市"),
    },
    "entry_status": {
        "active": W("In the pool", "在库"),
        "exited": W("Left the pool", "已出库"),
    },
    "claim_status": {
        "active": W("In force", "揭榜中"),
        "lapsed": W("Lapsed", "已失效"),
        "released": W("Released", "已放弃"),
    },
    "document_category": {
        "business_plan": W("Business plan", "商业计划书"),
        "financial_statements": W("Financial statements", "财务报表"),
        "certificate": W("Certificate", "证书资质"),
        "other": W("Other document", "其他文件"),
    },
    "valuation_basis": {
        "last_round": W("Last round's post-money valuation", "最近一轮融资投后估值", en_long="the last round's post-money valuation"),
        "staff_estimate": W("Staff estimate", "工作人员估算", en_long="a staff estimate", zh_long="园区工作人员估算"),
    },
    "financing_kind": {
        "round": W("Financing round", "股权融资轮次"),
        "placement": W("Private placement (定向发行)", "定向发行"),
    },
    "neeq_tier": {
        "basic": W("Basic tier", "基础层", en_long="basic tier"),
        "innovation": W("Innovation tier", "创新层", en_long="innovation tier"),
    },
    "intermediary": {
        "sponsor": W("Sponsoring broker", "保荐券商"),
        "accountant": W("Accountant", "会计师事务所"),
        "lawyer": W("Lawyer", "律师事务所"),
    },
    "funnel": {
        "suggested": W("Suggested", "推荐"),
        "interested": W("Interested", "有意向"),
        "meeting_held": W("Meeting held", "已会面"),
        "funded": W("Funded", "已融资"),
    },
    "measure": {
        "posted": W("Needs posted", "发布需求"),
        "answered": W("Answered", "获回应"),
        "answered_in_time": W("Answered in time", "按时回应"),
        "interested": W("Interested", "有意向"),
        "met": W("Met", "已会面"),
        "funded": W("Funded", "已融资"),
        "amount_funded": W("Amount funded (yuan)", "融资金额（元）"),
        "answers": W("Answers", "回应次数"),
        "meetings_held": W("Meetings held", "举行会面"),
    },
}


def codes(kind: str) -> tuple:
    """The codes of a kind, in the table's order (``vocabulary.py``)."""
    return tuple(LABELS[kind])


def words(kind: str, code) -> W | None:
    return LABELS.get(kind, {}).get(code)


def say(kind: str, code, lang: str = "zh", form: str = "label") -> str:
    """The words of a code in ``lang`` (``zh``/``en``); the code itself if the table has none."""
    found = words(kind, code)
    if found is None:
        return "" if code is None else str(code).replace("_", " ")
    return found.say(lang, form)
