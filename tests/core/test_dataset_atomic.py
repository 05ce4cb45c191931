"""A publish is one unit: killed with SIGKILL anywhere, a reader never sees a year mixed from two
publishes, the next publish removes what the killed one left; two publishers never interleave.

Publishers run in child processes forked from a forkserver that has imported pyarrow once. A child
publishes years in a loop until it is killed: at a random moment, or by itself at the n-th call of a
filesystem step the publish makes (a Parquet row group, an fsync, a hard link, a rename, the symlink
creation, the pointer switch), before or after that call. Every row carries the id of the publish that
wrote it (``<run>/r<i>`` in ``report_id``), so a mixed year shows as two runs in one year."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import random
import signal
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from pipeline import dataset

YEARS = (2019, 2020, 2021)
TABLES = ("reports", "facts", "checks", "sources")
FACTS_PER_REPORT = 3
# filesystem step → calls per publish, roughly (the kill lands within the first few publishes)
STEPS = {"write_table": 10, "fsync": 60, "link": 40, "rename": 14, "symlink": 3, "replace": 3}


def _tables(run: str, n_reports: int) -> dict:
    """One year's four tables, all marked with ``run``; facts streamed report by report."""
    ids = [f"{run}/r{i}" for i in range(n_reports)]

    def facts():
        for rid in ids:
            yield pa.record_batch({"report_id": [rid] * FACTS_PER_REPORT,
                                   "indicator": [f"apply.x{j}" for j in range(FACTS_PER_REPORT)],
                                   "value": [float(j) for j in range(FACTS_PER_REPORT)]})

    return {"reports": [{"report_id": rid, "n_facts": FACTS_PER_REPORT} for rid in ids], "facts": facts(),
            "checks": [{"report_id": rid, "rule_id": "t3.balance", "status": "passed"} for rid in ids],
            "sources": [{"report_id": rid, "is_chosen": True} for rid in ids]}


def _publish(root: str, year: int, run: str, n_reports: int) -> None:
    dataset.promote(dataset.stage_year(root, year, _tables(run, n_reports)))


def _die_at(step: str, nth: int, after: bool) -> None:
    """SIGKILL this process at the ``nth`` call of ``step``."""
    owner, name = (pq.ParquetWriter, "write_table") if step == "write_table" else (os, step)
    real = getattr(owner, name)
    calls = itertools.count(1)

    def wrapper(*args, **kwargs):
        hit = next(calls) == nth
        if hit and not after:
            os.kill(os.getpid(), signal.SIGKILL)
        out = real(*args, **kwargs)
        if hit:
            os.kill(os.getpid(), signal.SIGKILL)
        return out

    setattr(owner, name, wrapper)


def _publisher(root: str, run: str, kill: tuple[str, int, bool] | None, keep_seconds: float) -> None:
    """Child: publish the years round-robin, forever (until killed)."""
    dataset.KEEP_SECONDS = keep_seconds
    if kill:
        _die_at(*kill)
    rng = random.Random(run)
    for k in itertools.count():
        _publish(root, YEARS[k % len(YEARS)], f"{run}.{k}", rng.randint(1, 6))


def _publisher_of(root: str, name: str, year: int, shared: int, times: int) -> None:
    """Child: publish its own year and a shared one, ``times`` each."""
    for k in range(times):
        _publish(root, year, f"{name}.{k}", 2 + k % 3)
        _publish(root, shared, f"{name}.{k}", 1 + k % 2)


@pytest.fixture(scope="module")
def ctx():
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["pipeline.dataset", __name__])
    return context


def _runs_by_year(folder: Path) -> dict[int, dict[str, Counter]]:
    """year → table → Counter of the publish runs its rows come from, read with pyarrow as a researcher would."""
    out: dict[int, dict[str, Counter]] = {}
    for table in TABLES:
        data = ds.dataset(folder / table, format="parquet", partitioning="hive").to_table(
            columns=["report_id", "report_year"])
        for rid, year in zip(data["report_id"].to_pylist(), data["report_year"].to_pylist(), strict=True):
            out.setdefault(year, {t: Counter() for t in TABLES})[table][rid.split("/")[0]] += 1
    return out


def _assert_whole_years(folder: Path, years: tuple[int, ...] = YEARS) -> dict[int, str]:
    """Every year comes from exactly one publish in all four tables, with all its rows; → year → run."""
    found = _runs_by_year(folder)
    assert sorted(found) == sorted(years), f"years present: {sorted(found)}"
    runs = {}
    for year, tables in found.items():
        assert len(set(tables["reports"])) == 1, f"mixed year {year}: {tables}"
        (run,) = tables["reports"]
        assert all(set(tables[t]) == {run} for t in TABLES), f"mixed year {year}: {tables}"
        n = tables["reports"][run]
        assert (tables["facts"][run], tables["checks"][run], tables["sources"][run]) == (n * FACTS_PER_REPORT, n, n)
        runs[year] = run
    return runs


def _leftovers(root: Path) -> list[str]:
    versions = root.parent / f".{root.name}-versions"
    junk = [p.name for p in versions.iterdir() if p.name.startswith((".build-", ".trash-"))]
    junk += [f".staging/{p.name}" for p in (versions / ".staging").iterdir()] if (versions / ".staging").exists() else []
    junk += [p.name for p in root.parent.glob(f".{root.name}.*.lnk")]
    numbers = sorted(p.name for p in versions.glob("v*"))
    current = os.readlink(root).rsplit("/", 1)[-1]
    junk += [f"unswitched {n}" for n in numbers if n > current]
    return junk


@pytest.mark.e2e
def test_thirty_kills_at_random_points_never_leave_a_mixed_year(tmp_path, ctx, monkeypatch):
    monkeypatch.setattr(dataset, "KEEP_SECONDS", 0.0)
    root = tmp_path / "data" / "dataset"
    for year in (2018, *YEARS):
        _publish(str(root), year, "init", 2)
    rng = random.Random(13)
    dirty, points = 0, Counter()
    for i in range(30):
        kill = None
        if i % 5 != 4:
            step = sorted(STEPS)[i % len(STEPS)]
            kill = (step, rng.randint(1, STEPS[step]), rng.random() < 0.5)
        child = ctx.Process(target=_publisher, args=(str(root), f"k{i}", kill, 0.0))
        child.start()
        if kill is None:
            child.join(rng.uniform(0.05, 0.8))
            child.kill()
        child.join(60)
        if child.exitcode is None:  # a kill point it did not reach in a minute: kill it now
            child.kill()
            child.join()
        assert child.exitcode == -signal.SIGKILL, f"round {i}: the publisher died otherwise ({child.exitcode})"
        points[kill[0] if kill else "timer"] += 1

        before = _assert_whole_years(root, (2018, *YEARS))  # through the reader-visible path, right after the kill
        dirty += bool(_leftovers(root))
        _publish(str(root), 2018, f"clean{i}", 1)  # the next publish, which must clean up
        assert _leftovers(root) == [], f"round {i} (kill {kill}) left {_leftovers(root)}"
        assert dataset.read_table(root, "reports", 2018)["report_id"].to_pylist() == [f"clean{i}/r0"]
        assert {y: dataset.read_table(root, "facts", y)["report_id"][0].as_py().split("/")[0] for y in YEARS} == \
            {y: before[y] for y in YEARS}, "the cleaning publish kept the other years"
        assert len(list(root.parent.glob(".dataset-versions/v*"))) <= dataset.KEEP_VERSIONS
    assert dirty >= 10, f"only {dirty} of 30 kills interrupted a publish mid-way: the test does not bite"
    assert set(points) == {*STEPS, "timer"}


def test_two_publishers_never_interleave_and_lose_nothing(tmp_path, ctx):
    root = tmp_path / "dataset"
    _publish(str(root), 2000, "init", 1)
    times = 6
    children = [ctx.Process(target=_publisher_of, args=(str(root), name, year, 2000, times))
                for name, year in (("A", 2001), ("B", 2002))]
    for child in children:
        child.start()
    for child in children:
        child.join(120)
        assert child.exitcode == 0
    runs = _assert_whole_years(root, (2000, 2001, 2002))
    assert (runs[2001], runs[2002]) == (f"A.{times - 1}", f"B.{times - 1}"), "no publish lost the other's year"
    assert runs[2000] in (f"A.{times - 1}", f"B.{times - 1}")
    versions = sorted((tmp_path / ".dataset-versions").glob("v*"))
    assert [v.name for v in versions] == [f"v{n:06d}" for n in range(1, 2 + 4 * times)], "one version per publish"
    for version in versions[1:]:
        _assert_whole_years(version, tuple(sorted(_runs_by_year(version))))


def test_a_publisher_waits_for_the_lock(tmp_path, ctx):
    root = tmp_path / "dataset"
    _publish(str(root), 2000, "init", 1)
    with dataset._Local(root).lock():
        child = ctx.Process(target=_publisher_of, args=(str(root), "W", 2001, 2000, 1))
        child.start()
        child.join(1.5)
        assert child.is_alive() and dataset.current_version(root) == "v000001", "it waits while the lock is held"
    child.join(60)
    assert child.exitcode == 0 and dataset.current_version(root) == "v000003"
