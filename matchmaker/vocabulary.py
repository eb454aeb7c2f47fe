"""The codes of DOMAIN.md, used in data, API and mappings: the keys of the labels table
(``labels.py``), which gives each its words in Chinese and English."""
from .labels import codes

INSTITUTION_TYPES = codes("type")
INSTRUMENTS = codes("instrument")
INDUSTRIES = codes("industry")
STAGES = codes("stage")
INSTITUTION_STATUSES = codes("institution_status")
NEED_STATUSES = codes("need_status")
TIERS = codes("tier")
#: Designations an enterprise holds (DOMAIN.md "Enterprises"): 国家级高新技术企业, 科技小巨人,
#: 科技型中小企业, 专精特新.
CERTIFICATION_KINDS = codes("certification_kind")
#: Where an enterprise's shares trade; ``neeq`` (新三板) is a quotation, counted apart from listings.
LISTING_MARKETS = codes("listing_market")
#: Counter-guarantees and security an enterprise offers and an institution accepts (DOMAIN.md).
COUNTER_GUARANTEES = codes("counter_guarantee")
