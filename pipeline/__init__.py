"""nianbao's pipeline: plain Python that turns raw report documents into dataset rows.

No Scrapy or Dagster imports here: every step is testable without a reactor or an instance.
"""


def __getattr__(name: str) -> str:
    """``PARSER_VERSION``: a hash of the parsing code, spec files and division table (pipeline.version)."""
    if name == "PARSER_VERSION":
        from .version import parser_version

        return parser_version()
    raise AttributeError(name)
