"""Every portal archetype through the whole machine: each report the demo portal publishes (and an
honest crawler can store) ends up in the dataset, in its report year, with a region code, and each of its attachments is filed as that same report."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from dagster_project.assets.crawl import crawl
from dagster_project.assets.dataset import dataset
from dagster_project.assets.parse import documents, parsed_documents
from dagster_project.resources import NianbaoResource
from nianbao.cli import demo_registry_path
from nianbao.demo_portal.content import generation_for
from nianbao.demo_portal.core import DemoServer
from nianbao.demo_portal.sites import build_portal

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    portal = build_portal()
    truth = [t for t in portal.truth() if t.get("expect", "stored") == "stored"]
    # In-memory run storage: the runs are what is tested here, not SQLite (tests/e2e/test_dagster_ui.py runs on it),
    # whose per-event commits took half of each year's publish.
    with DemoServer(portal) as server, dg.DagsterInstance.ephemeral() as instance:
        resources = {"nianbao": NianbaoResource(data_dir=str(data), registry_path=demo_registry_path(full=True),
                                                proxy=server.proxy_url)}
        first = dg.materialize([crawl, parsed_documents, documents], resources=resources, instance=instance)
        assert first.success
        silent = [c.metadata["silent"].value for c in first.get_asset_check_evaluations()
                  if c.check_name == "no_silent_portal"][0]
        for year in sorted({t["report_year"] for t in truth}):
            assert dg.materialize([dataset], partition_key=str(year), resources=resources, instance=instance).success
    root = data / "dataset"
    yield {"truth": truth, "reports": pd.read_parquet(root / "reports"), "sources": pd.read_parquet(root / "sources"),
           "documents": pd.read_parquet(root / "documents"), "silent": silent}


def test_every_storable_demo_report_is_a_source_of_a_report_of_its_year(full_demo):
    sources, reports = full_demo["sources"], full_demo["reports"].set_index("report_id")
    year_of_url = {url: int(reports.loc[rid, "report_year"]) for url, rid in zip(sources["source_url"], sources["report_id"], strict=True)}
    missing = [t["url"] for t in full_demo["truth"] if t["url"] not in year_of_url]
    assert not missing
    wrong_year = [t["url"] for t in full_demo["truth"] if year_of_url[t["url"]] != t["report_year"]]
    assert not wrong_year


def test_copies_collapse_into_one_report_each(full_demo):
    reports = full_demo["reports"]
    assert reports["report_id"].is_unique
    assert len(reports) < len(full_demo["sources"])  # mirrors, re-issues and attachments are sources, not reports
    assert reports.groupby(["agency_name_norm", "report_year"], observed=True).size().max() == 1


def test_every_report_has_a_region_and_a_level(full_demo):
    reports = full_demo["reports"]
    assert reports["region_code"].str.fullmatch(r"\d{6}").all()
    assert set(reports["admin_level"]) <= {"national", "provincial", "prefectural", "county", "township"}


def test_bot_walled_and_robots_closed_portals_are_flagged_as_silent(full_demo):
    assert set(full_demo["silent"]) == {"demo-100000-blocked-412", "demo-100000-blocked-521",
                                         "demo-100000-blocked-edgeone", "demo-510682-oldzhen"}


def test_every_attachment_is_read_as_its_pages_report(full_demo):
    """Each stored attachment (PDF or DOCX made from its page) parses on its own bytes to the page's year and
    table generation, with the page's number of figures, and is a source of the page's report. (That the
    document alone names the agency is checked for every layout in tests/demo_portal/test_content.py.)"""
    docs = full_demo["documents"].set_index("url")
    report_of = dict(zip(full_demo["sources"]["source_url"], full_demo["sources"]["report_id"], strict=True))
    attachments = [(row, att) for row in full_demo["truth"] for att in row["attachments"] if att["expect"] == "stored"]
    assert {att["name"].rsplit(".", 1)[-1] for _, att in attachments} == {"pdf", "docx"}
    wrong = []
    for row, att in attachments:
        doc, page = docs.loc[att["url"]], docs.loc[row["url"]]
        got = (doc["kind"], doc["content_sha256"], doc["parse_status"], doc["report_year"], doc["template_generation"],
               doc["n_facts"], report_of.get(att["url"]))
        want = ("attachment", att["sha256"], "ok", row["report_year"], generation_for(row["report_year"]),
                page["n_facts"], report_of[row["url"]])
        if got != want:
            wrong.append((att["url"], doc["parse_reason"], got, want))
    assert not wrong, wrong[:5]
