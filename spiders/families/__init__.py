"""One spider per CMS family; portals are arguments, never subclasses. Families whose listing pages
``spiders.listing`` reads whole share ``ListingSpider``."""

from __future__ import annotations

from .generic import ListingSpider
from .gkmlpt import GkmlptSpider
from .hanweb import HanwebSpider
from .legacy import LegacySpider
from .scriptjson import ScriptJsonSpider
from .trs import TrsSpider

REGISTRY = {"trs": TrsSpider, "hanweb": HanwebSpider, "gkmlpt": GkmlptSpider, "legacy": LegacySpider,
            "scriptjson": ScriptJsonSpider, "fujian_trs": ListingSpider, "hanweb_jpaas": ListingSpider,
            "nfcms": ListingSpider, "annual_report_module": ListingSpider, "generic": ListingSpider}
