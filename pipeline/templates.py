"""Table templates as data, built once from spec/tables/*.yaml (one file per generation × table) and
spec/indicators.csv (the printed labels).

Each table kind gets a label index: row tables (g0 regional form, g1 统计表, g2/g3 table 三) map a row
label to a code; grid tables (table 二: row × column, table 四: block × column) map a label pair to a
code. The mapper in parse.py is generic: it only asks these indices, so a new variant is a data change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

import yaml
from rapidfuzz import process
from rapidfuzz.distance import Indel

from pipeline.indicators import SPEC_DIR, catalogue
from pipeline.labels import head_key, label_key, similarity

SPEC_TABLES = SPEC_DIR / "tables"
SHAPES = ("row_table", "row_by_applicant", "row_by_column", "block_by_column")


@dataclass(frozen=True)
class TableSpec:
    """One generation × table file of spec/tables/ (see its README.md for the keys)."""

    name: str
    generation: str
    kind: str
    table_id: str
    shape: str
    version: int
    raw: dict

    def get(self, key: str, default=None):
        return self.raw.get(key, default)


@cache
def table_specs() -> tuple[TableSpec, ...]:
    """Every generation × table spec, validated on load (an unknown shape or code fails loudly)."""
    out = []
    codes = catalogue()
    for path in sorted(SPEC_TABLES.glob("g*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if raw.get("spec") != "nianbao.table/1" or raw.get("shape") not in SHAPES:
            raise ValueError(f"{path.name}: not a nianbao.table/1 spec with a known shape")
        for code in list(raw.get("rows") or ()) + list((raw.get("aliases") or {}).values()):
            if code not in codes:
                raise ValueError(f"{path.name}: unknown indicator code {code!r}")
        out.append(TableSpec(path.stem, raw["generation"], raw["kind"], raw["table_id"], raw["shape"],
                             int(raw.get("version", 1)), raw))
    return tuple(out)


@cache
def common_spec() -> dict:
    return yaml.safe_load((SPEC_TABLES / "common.yaml").read_text(encoding="utf-8"))


def specs_of(kind: str) -> tuple[TableSpec, ...]:
    return tuple(s for s in table_specs() if s.kind == kind)


def spec_for(kind: str, generation: str) -> TableSpec | None:
    """The spec of one table in one generation (the latest generation's when that one has none)."""
    cands = specs_of(kind)
    exact = [s for s in cands if s.generation == generation]
    return exact[0] if exact else (cands[-1] if cands else None)


@cache
def kind_marks() -> dict[str, tuple[str, ...]]:
    """Table kind → marker words (union over its generations), in spec order."""
    out: dict[str, tuple[str, ...]] = {}
    for s in table_specs():
        out[s.kind] = tuple(dict.fromkeys(out.get(s.kind, ()) + tuple(s.get("markers") or ())))
    return out


@cache
def classify_rule(kind: str) -> dict:
    return dict(specs_of(kind)[0].get("classify") or {})


@cache
def aliases(kind: str) -> dict[str, str]:
    """Printed wording → code for one table kind (all its generations)."""
    out: dict[str, str] = {}
    for s in specs_of(kind):
        out.update(s.get("aliases") or {})
    return out


@cache
def group_headers() -> frozenset[str]:
    """Keys of rows that carry no value of their own (block titles, header words): never a local.* code."""
    return frozenset(label_key(x) for x in common_spec()["group_headers"])


@cache
def deny_pattern(kind: str) -> re.Pattern | None:
    words = sorted({w for s in specs_of(kind) for w in (s.get("deny") or ())})
    return re.compile("|".join(map(re.escape, words))) if words else None


@cache
def applicant_headers() -> dict[str, str]:
    """Table-三 applicant header key → applicant type, from the t3 specs' columns."""
    out: dict[str, str] = {}
    for s in specs_of("t3"):
        for col in s.get("columns") or ():
            for h in col["headers"]:
                out.setdefault(label_key(h), col["applicant"])
    return out


@cache
def derived_groups(generation: str) -> tuple[str, ...]:
    s = spec_for("t3", generation)
    return tuple(s.get("derived") or ()) if s and s.generation == generation else ()


@cache
def derived_sums(generation: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out = []
    for s in table_specs():
        if s.generation == generation:
            out.extend((d["code"], tuple(d["terms"])) for d in s.get("derived_sums") or ())
    return tuple(out)


@cache
def table_generations(kind: str) -> tuple[str, ...]:
    return tuple(s.generation for s in specs_of(kind))


@dataclass
class Entry:
    code: str
    pos: int
    full: str
    head: str
    alias: bool


@dataclass
class RowIndex:
    """Label index of one row table; candidates keep template order so duplicates resolve by position."""

    kind: str
    entries: list[Entry] = field(default_factory=list)
    by_key: dict[str, list[Entry]] = field(default_factory=dict)
    by_head: dict[str, list[Entry]] = field(default_factory=dict)

    def add(self, code: str, label: str, pos: int, alias: bool = False) -> None:
        e = Entry(code, pos, label_key(label), head_key(label), alias)
        if not e.full:
            return
        self.entries.append(e)
        self.by_key.setdefault(e.full, []).append(e)
        self.by_head.setdefault(e.head, []).append(e)

    def match(self, label: str, last_pos: int = -1) -> tuple[str, str, float, int] | None:
        """(code, method, score, template position) for a printed label, or None."""
        return _match_cached(self.kind, label, last_pos)

    def match_uncached(self, label: str, last_pos: int = -1) -> tuple[str, str, float, int] | None:
        full = label_key(label)
        deny = deny_pattern(self.kind)
        if not full or (deny is not None and deny.search(full)):
            return None
        head = head_key(label)
        for key, table in ((full, self.by_key), (head, self.by_head), (full, self.by_head)):
            hits = table.get(key)
            if hits:
                e = _next(hits, last_pos)
                method = "alias" if e.alias else "exact"
                return e.code, method, 1.0, e.pos
        return self._fuzzy(full, head, last_pos) or self._misprint(full, last_pos) or self._cut(full, last_pos)

    def _misprint(self, full: str, last_pos: int) -> tuple[str, str, float, int] | None:
        """A label one character off the template row that comes next in order ('行政申请数' printed in
        the 行政申诉数 place after 行政诉讼数): too far for the fuzzy score on a short label, but the
        position settles it. Only the next row, only one substituted character, only labels of 4 or more."""
        if len(full) < 4:
            return None
        for e in self._next_row(last_pos):
            if len(e.full) == len(full) and sum(a != b for a, b in zip(e.full, full, strict=True)) == 1:
                return e.code, "fuzzy", round(1 - 1 / len(full), 3), e.pos
        return None

    def _cut(self, full: str, last_pos: int) -> tuple[str, str, float, int] | None:
        """A label a page break cut, its numbers kept on the row ('2.没有' for 2.没有现成信息需要另行制作, the rest
        of the label on the next page): the start of the template row that comes next. Only that row, only
        two characters or more; the score is the share of the label printed."""
        if len(full) < 2:
            return None
        for e in self._next_row(last_pos):
            if len(e.full) > len(full) and e.full.startswith(full):
                return e.code, "fuzzy", round(len(full) / len(e.full), 3), e.pos
        return None

    def _next_row(self, last_pos: int) -> list[Entry]:
        """The entries (labels and aliases) of the template row that comes next after ``last_pos``."""
        nxt = min((e.pos for e in self.entries if e.pos > last_pos), default=None)
        return [e for e in self.entries if e.pos == nxt]

    def keys(self) -> tuple[list[str], list[str]]:
        """(head keys, full keys) of the entries, in entry order (for rapidfuzz's batch scorer)."""
        return [e.head for e in self.entries], [e.full for e in self.entries]

    def _fuzzy(self, full: str, head: str, last_pos: int) -> tuple[str, str, float, int] | None:
        return _fuzzy_cached(self.kind, full, head, last_pos)


@lru_cache(maxsize=65536)
def _match_cached(kind: str, label: str, last_pos: int) -> tuple[str, str, float, int] | None:
    """RowIndex.match, once per (table kind, printed label, position of the row matched before)."""
    return row_index(kind).match_uncached(label, last_pos)


def _next(hits: list[Entry], last_pos: int) -> Entry:
    after = [e for e in hits if e.pos > last_pos]
    return min(after, key=lambda e: e.pos) if after else hits[0]


_FUZZY_MIN = 0.84  # a row label this similar to a template label is that row


def _fuzzy_cached(kind: str, full: str, head: str, last_pos: int) -> tuple[str, str, float, int] | None:
    """Best-scoring template row at or above _FUZZY_MIN; a tie goes to the first row after last_pos."""
    best: tuple[float, Entry] | None = None
    for score, e in _fuzzy_scores(kind, full, head):
        if best is None or score > best[0] or (score == best[0] and e.pos > last_pos >= best[1].pos):
            best = (score, e)
    if best:
        return best[1].code, "fuzzy", round(min(best[0], 0.99), 3), best[1].pos
    return None


@lru_cache(maxsize=32768)
def _fuzzy_scores(kind: str, full: str, head: str) -> tuple[tuple[float, Entry], ...]:
    """(score, entry) of every template row a printed label reaches _FUZZY_MIN with, in template order
    (scored once per label; the position tie-break above is cheap). rapidfuzz's Indel similarity bounds
    difflib's ratio from above (labels.similarity), so only rows within reach are scored by difflib."""
    idx = row_index(kind)
    heads, fulls = idx.keys()
    cut = _FUZZY_MIN - 1e-9
    near = {i for _, _, i in process.extract(head, heads, scorer=Indel.normalized_similarity, score_cutoff=cut,
                                             limit=None)}
    near.update(i for _, _, i in process.extract(full, fulls, scorer=Indel.normalized_similarity,
                                                 score_cutoff=cut, limit=None))
    out = []
    for i, e in enumerate(idx.entries):
        score = max(similarity(head, e.head, _FUZZY_MIN), similarity(full, e.full, _FUZZY_MIN)) if i in near else 0.0
        # A label that contains a full catalogue label plus decoration (e.g. a unit or a note).
        if len(e.head) >= 5 and e.head in full:
            score = max(score, 0.86 + 0.1 * len(e.head) / max(len(full), 1))
        if score >= _FUZZY_MIN:
            out.append((score, e))
    return tuple(out)


@cache
def row_index(kind: str) -> RowIndex:
    """Index for 'regional' (g0), 'stat' (g1) or 't3' (g2/g3 table 三)."""
    idx = RowIndex(kind)
    gens = table_generations(kind)
    for pos, ind in enumerate(catalogue().values()):
        if kind == "t3" and not ind.applicant_breakdown:
            continue
        if kind != "t3" and ind.applicant_breakdown and not (set(gens) & ind.generations):
            continue
        for gen in gens:
            for label in ind.labels.get(gen, ()):
                if "×" in label:
                    continue
                idx.add(ind.code, label, pos)
    pos_of = {code: i for i, code in enumerate(catalogue())}
    for alias, code in aliases(kind).items():
        idx.add(code, alias, pos_of[code], alias=True)
    return idx


def t3_row_order(generation: str) -> list[str]:
    """Printed table-三 codes in template order (for positional mapping of unlabeled rows)."""
    spec = spec_for("t3", generation)
    return list(spec.get("rows") or ()) if spec else []


@dataclass
class GridTemplate:
    """Table 二 / 四: row (or block) key → code prefix; column key → code suffix."""

    rows: dict[str, str]
    cols: dict[str, str]


_YEAR = re.compile(r"\d{4}年?|\d{4}")


def col_key(label: str) -> str:
    """Column key with any year removed: 本年(2023)制发件数 → 本年制发件数."""
    return _YEAR.sub("", head_key(label))


@cache
def t2_template() -> GridTemplate:
    rows: dict[str, str] = {}
    cols: dict[str, str] = {}
    for ind in catalogue().values():
        for gen in table_generations("t2"):
            for label in ind.labels.get(gen, ()):
                parts = [p.strip() for p in label.split("×")]
                if len(parts) != 2 or not ind.code.startswith("proactive."):
                    continue
                prefix, _, suffix = ind.code.rpartition(".")
                rows.setdefault(head_key(parts[0]), prefix)
                cols.setdefault(col_key(parts[1]), suffix)
    for s in specs_of("t2"):
        for label, prefix in (s.get("row_aliases") or {}).items():
            rows.setdefault(head_key(label), prefix)
        for label, suffix in (s.get("column_aliases") or {}).items():
            cols.setdefault(col_key(label), suffix)
    return GridTemplate(rows, cols)


@cache
def t2_order(generation: str) -> dict[str, tuple[str, ...]]:
    """Column order per table-二 row when a block prints no header row (positional fallback)."""
    s = spec_for("t2", generation)
    if s is None or s.generation != generation:
        return {}
    return {k: tuple(v) for k, v in (s.get("column_order") or {}).items()}


@cache
def t4_template() -> GridTemplate:
    rows: dict[str, str] = {}
    cols: dict[str, str] = {}
    for s in specs_of("t4"):
        for b in s.get("blocks") or ():
            for h in b["headers"]:
                rows.setdefault(head_key(h), b["prefix"])
        for c in s.get("columns") or ():
            for h in c["headers"]:
                cols.setdefault(head_key(h), c["suffix"])
    return GridTemplate(rows, cols)


@cache
def t4_order(generation: str = "g3") -> tuple[str, ...]:
    """Table 四's codes in printed order (blocks × columns): the 15 numbers of its one data row."""
    s = spec_for("t4", generation)
    if s is None:
        return ()
    return tuple(f"{b['prefix']}.{c['suffix']}" for b in s.get("blocks") or () for c in s.get("columns") or ())


def match_key(key: str, table: dict[str, str], threshold: float = 0.8) -> tuple[str, str, float] | None:
    """Exact, then containment, then fuzzy lookup of a key in a small label table."""
    if not key:
        return None
    if key in table:
        return table[key], "exact", 1.0
    return _match_inexact(key, tuple(table.items()), threshold)


@lru_cache(maxsize=16384)
def _match_inexact(key: str, items: tuple[tuple[str, str], ...], threshold: float) -> tuple[str, str, float] | None:
    """Containment or fuzzy match; cached, because the same printed headers recur in every report."""
    best: tuple[float, str] | None = None
    for k, v in items:
        if len(k) >= 2 and (k in key or key in k) and min(len(k), len(key)) >= 2:
            score = 0.85 + 0.1 * min(len(k), len(key)) / max(len(k), len(key))
        else:
            score = similarity(key, k, threshold)
        if best is None or score > best[0]:
            best = (score, v)
    if best and best[0] >= threshold:
        return best[1], "fuzzy", round(min(best[0], 0.99), 3)
    return None
