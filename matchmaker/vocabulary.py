"""The codes of DOMAIN.md, used in data, API and mappings."""

INSTITUTION_TYPES = ("venture_capital", "angel", "guarantee", "microcredit", "industry_fund", "bank", "leasing")
INSTRUMENTS = ("equity", "convertible", "debt", "guarantee", "leasing")
INDUSTRIES = ("new_energy", "advanced_manufacturing", "modern_services", "software_it", "biomedicine", "other")
STAGES = ("seed", "startup", "growth", "expansion", "pre_ipo")
INSTITUTION_STATUSES = ("target", "negotiating", "entered")
NEED_STATUSES = ("draft", "open", "in_talks", "funded", "closed", "withdrawn")
TIERS = ("nest", "grow", "excel")
#: Designations an enterprise holds (DOMAIN.md "Enterprises"): 国家级高新技术企业, 科技小巨人,
#: 科技型中小企业, 专精特新.
CERTIFICATION_KINDS = ("high_tech", "little_giant", "tech_sme", "specialized")
#: Where an enterprise's shares trade; ``neeq`` (新三板) is a quotation, counted apart from listings.
LISTING_MARKETS = ("sse_main", "szse_main", "sme", "chinext", "star", "bse", "neeq", "hkex", "overseas")
#: Counter-guarantees and security an enterprise offers and an institution accepts (DOMAIN.md).
COUNTER_GUARANTEES = (
    "personal_guarantee", "equity_pledge", "receivables_pledge", "ip_pledge", "equipment_mortgage", "real_estate_mortgage",
)
