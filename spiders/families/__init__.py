"""One spider per CMS family; portals are arguments, never subclasses."""

from __future__ import annotations

from .gkmlpt import GkmlptSpider
from .hanweb import HanwebSpider
from .legacy import LegacySpider
from .scriptjson import ScriptJsonSpider
from .trs import TrsSpider

REGISTRY = {"trs": TrsSpider, "hanweb": HanwebSpider, "gkmlpt": GkmlptSpider, "legacy": LegacySpider,
            "scriptjson": ScriptJsonSpider}
