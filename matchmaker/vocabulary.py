"""The codes of DOMAIN.md, used in data, API and mappings."""

INSTITUTION_TYPES = ("venture_capital", "angel", "guarantee", "microcredit", "industry_fund", "bank", "leasing")
INSTRUMENTS = ("equity", "convertible", "debt", "guarantee", "leasing")
INDUSTRIES = ("new_energy", "advanced_manufacturing", "modern_services", "software_it", "biomedicine", "other")
STAGES = ("seed", "startup", "growth", "expansion", "pre_ipo")
INSTITUTION_STATUSES = ("target", "negotiating", "entered")
NEED_STATUSES = ("draft", "open", "in_talks", "funded", "closed", "withdrawn")
TIERS = ("nest", "grow", "excel")
#: Counter-guarantees and security an enterprise offers and an institution accepts (DOMAIN.md).
COUNTER_GUARANTEES = (
    "personal_guarantee", "equity_pledge", "receivables_pledge", "ip_pledge", "equipment_mortgage", "real_estate_mortgage",
)
