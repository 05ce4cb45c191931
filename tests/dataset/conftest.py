"""A small real dataset for the researcher-facing tests: the real fixtures' parse results through
``assemble_year`` and ``write_year`` (no crawl), plus a crawl manifest with the failures a real crawl
records (a bot wall, robots.txt, a too-large attachment, a 404), so that coverage has something to say.

The one constructed case is a re-post: 永定区's 2018 report found again at a second URL two months later
with （更正） in its title — the same bytes, so it is the same report, first published 2019-03-05.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.coverage import write_documents
from pipeline.dataset import write_year
from pipeline.manifest import ManifestRow, ManifestWriter
from pipeline.process import process_document
from pipeline.publish import assemble_year, document_row
from pipeline.rawstore import RawStore
from pipeline.release import write_release

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
AS_OF = date(2026, 3, 20)
PINGTAN = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
PORTALS = {
    "350128-pingtan": {"id": "350128-pingtan", "name": "平潭综合实验区党工委管委会", "region_code": "350128",
                       "admin_level": "county"},
    "310000-shanghai": {"id": "310000-shanghai", "name": "上海市人民政府", "region_code": "310000",
                        "admin_level": "provincial"},
    "430802-yongding": {"id": "430802-yongding", "name": "张家界市永定区人民政府", "region_code": "430802",
                        "admin_level": "county"},
    "350000-fujian": {"id": "350000-fujian", "name": "福建省人民政府", "region_code": "350000",
                      "admin_level": "provincial"},
}
# (fixture, URL, media type, portal)
DOCUMENTS = [
    *[(f"real/pingtan/{name}", PINGTAN + f"{name[1:7]}/{name.split('.')[0]}.htm",
       "text/html" if name.endswith(".htm") else "text/plain", "350128-pingtan")
      for name in ("t20120418_80716.htm", "t20140225_80774.htm", "t20170118_80485.htm", "t20200120_80576.htm",
                   "t20220208_80613.htm", "t20230220_80629.archive.txt", "t20240308_87885.archive.txt",
                   "t20250310_97791.archive.txt", "t20260313_105587.archive.txt")],
    ("real/pingtan/zfxxgknb-index.html", PINGTAN + "index.html", "text/html", "350128-pingtan"),
    ("real/shanghai/2019-shanghai-bgt.js-embedded.html", "https://www.shanghai.gov.cn/nw12344/20200131/1.html",
     "text/html", "310000-shanghai"),
    ("seed/yongding-2018.txt", "http://www.yongding.gov.cn/zw/zfxxgkndbg/201903/t20190305_1.html", "text/plain",
     "430802-yongding"),
]
REPOST_URL = "http://www.yongding.gov.cn/zw/zfxxgkndbg/201905/t20190520_7.html"


def _failures(writer: ManifestWriter) -> None:
    fj = "https://www.fujian.gov.cn/zwgk/zfxxgkzl/zfxxgkndbg/"
    rows = [
        ManifestRow(url=fj, portal_id="350000-fujian", fetched_at="2026-03-01T00:00:00Z", outcome="blocked",
                    kind="listing", status=412, reason="challenge page"),
        ManifestRow(url=fj + "202303/t20230301_1.htm", portal_id="350000-fujian", fetched_at="2026-03-01T00:00:01Z",
                    outcome="not_found", status=404, title="福建省2022年政府信息公开工作年度报告"),
        ManifestRow(url=fj + "202403/P020240301.pdf", portal_id="350000-fujian", fetched_at="2026-03-01T00:00:02Z",
                    outcome="too_large", kind="attachment", title="福建省2023年政府信息公开工作年度报告（附件）"),
        ManifestRow(url="https://www.shanghai.gov.cn/nw12344/20220131/1.html", portal_id="310000-shanghai",
                    fetched_at="2026-03-01T00:00:03Z", outcome="robots", title="2021年上海市人民政府办公厅政府信息公开工作年度报告"),
    ]
    for row in rows:
        writer.write(row)


@pytest.fixture(scope="session")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """{"data": data dir, "root": dataset root, "results": parse results} of the written dataset."""
    data = tmp_path_factory.mktemp("data")
    store = RawStore(data / "raw")
    writer = ManifestWriter(data, "night-1")
    results = []
    stored = []
    for fixture, url, media, portal in DOCUMENTS:
        body = (FIXTURES / fixture).read_bytes()
        sha, path = store.put(body, ".html" if media == "text/html" else ".txt")
        row = ManifestRow(url=url, portal_id=portal, fetched_at="2026-03-01T00:00:00Z", outcome="stored",
                          content_type=media, sha256=sha, raw_path=str(path), size=len(body))
        writer.write(row)
        stored.append((body, row))
        results.append(process_document(body, row.__dict__, PORTALS[portal]))
    body, first = stored[-1]  # the 永定区 re-post: same bytes, later date, （更正） in the title
    repost = ManifestRow(**{**first.__dict__, "url": REPOST_URL, "fetched_at": "2026-03-01T00:00:05Z"})
    writer.write(repost)
    res = process_document(body, repost.__dict__, PORTALS["430802-yongding"])
    res["report"].update(title=res["report"]["title"] + "（更正）", publish_date="2019-05-20")
    results.append(res)
    # A stored document the parser has not reached yet.
    sha, path = store.put(b"%PDF-1.4 queued", ".pdf")
    writer.write(ManifestRow(url=PINGTAN + "202603/P020260313.pdf", portal_id="350128-pingtan",
                             fetched_at="2026-03-01T00:00:06Z", outcome="stored", kind="attachment", sha256=sha,
                             raw_path=str(path), content_type="application/pdf", parent_url=DOCUMENTS[8][1],
                             title="平潭综合实验区2025年度政府信息公开工作年度报告"))
    _failures(writer)
    writer.close()

    root = data / "dataset"
    years = sorted({r["report"]["report_year"] for r in results if r["report"].get("report_year")})
    for year in years:
        rows = assemble_year(results, year)
        write_year(root, year, {t: rows[t] for t in ("reports", "facts", "checks", "sources")})
    write_documents(data, root, [document_row(r) for r in results])
    write_release(root, data, PORTALS, AS_OF)
    return {"data": data, "root": root, "results": results, "years": years}
