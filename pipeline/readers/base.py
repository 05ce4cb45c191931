"""What every reader returns: the document's plain text, its tables as span-expanded grids, page metadata."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Table:
    """One table as a rectangular grid of cell strings, spans already expanded (a merged cell repeats)."""

    rows: list[list[str]]
    # Optional provenance of the grid (e.g. "html table #3", "pdf page 4").
    origin: str = ""
    # Which slots came from the same source cell (ids[r][c]; -1 = padding), where the format says so:
    # it tells one merged cell from two equal neighbours. None: every slot is its own cell.
    ids: list[list[int]] | None = None
    # Printed cells per row where a reader padded ragged rows (flattened text): slots past it were not
    # printed at all, which is not the same as a printed blank cell. None: every slot was printed.
    row_len: list[int] | None = None


@dataclass
class ExtractedDocument:
    text: str  # body text, one line per block/paragraph/cell line
    tables: list[Table] = field(default_factory=list)
    source_format: str = "html"  # html text pdf_text pdf_scan doc docx xls image
    # Page metadata where the format has it: ArticleTitle, PubDate, SiteIDCode, SiteName, ColumnName,
    # ContentSource, Url, <title>, breadcrumb, attachment links ...
    meta: dict[str, str] = field(default_factory=dict)
    attachments: list[str] = field(default_factory=list)  # absolute or page-relative URLs
    warnings: list[str] = field(default_factory=list)
    # Printed in Traditional characters and read as its Simplified conversion (pipeline.traditional).
    traditional: bool = False
