"""nianbao's pipeline: plain Python that turns raw report documents into dataset rows.

No Scrapy or Dagster imports here: every step is testable without a reactor or an instance.
"""

PARSER_VERSION = "0.1.0"
