"""Report content and the shared column model behind every demo archetype.

Real report text comes from the captured 平潭 pages and the 永定 seed; the many extra items that give the
crawler volume are generated in the 2021 six-section format and marked ``generated`` in the truth, so a
reader of the truth manifest knows which bodies are real.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import lxml.html

from .core import NOT_FOUND, DemoRequest, DemoResponse, Site

# Real listing titles that are not reports (Dingxi Hanweb dataproxy group, Ordos TRS column).
DINGXI_NEWS = [
    "定西市“春节”文明祭祀倡议书", "2021年度政府网站年度工作报表", "定西市新冠肺炎疫情联防联控领导小组办公室通告",
    "定西市人民政府办公室关于2021年第四季度全市政府网站和政务新媒体检查情况的通报",
    "关于在城区内禁止随意焚烧冥纸冥币有关事项的通告", "S42漳县至三岔高速公路工程环境影响评价第二次公示",
    "关于征集2022年为民办实事项目建议的公告", "定西市人民政府办公室关于2021年度履行教育职责自查自评的报告",
    "定西市科学技术局关于向社会公众征求意见建议的公告", "市委涉粮问题专项巡察公告",
]
ORDOS_NEWS = [
    "恩格贝生态示范区召开2020年度工作会暨党风廉政建设会议", "恩格贝生态示范区召开目标责任制考核表彰大会",
    "恩格贝生态示范区召开2018年度工作会议暨党风廉政建设会议", "恩格贝生态示范区：栽下梧桐引凤来",
    "一图读懂示范区2017年重点工作", "关于报送2020年政府信息公开工作年度报告的通知",
]
ORDOS_REPORTS = [  # real titles of superiors' reports seen in the Ordos column
    ("鄂尔多斯市2019年政府信息公开工作年度报告", 2019, "鄂尔多斯市"),
    ("鄂尔多斯市人民政府办公室2019年政府信息公开工作年度报告", 2019, "鄂尔多斯市人民政府办公室"),
    ("鄂尔多斯市2018年政府信息公开年度报告", 2018, "鄂尔多斯市"),
    ("内蒙古自治区2018年政府信息公开工作年度报告", 2018, "内蒙古自治区"),
]
SOFT_404 = "<html><head><meta charset='{cs}'><title>提示信息</title></head><body><p>对不起，页面不存在或您访问的页面已删除！</p></body></html>"


def site_bytes(*parts: str) -> bytes:
    return resources.files("nianbao.demo_portal").joinpath("site", *parts).read_bytes()


@cache
def real_paragraphs(name: str) -> tuple[str, ...]:
    """Paragraph texts of a real report: ``pingtan/<file>.htm`` or ``yongding/yongding-2018.txt``."""
    data = site_bytes(*name.split("/"))
    if name.endswith(".txt"):
        return tuple(ln.strip() for ln in data.decode("utf-8").splitlines() if ln.strip())
    root = lxml.html.fromstring(data)
    box = (root.cssselect(".TRS_Editor") or root.cssselect(".content") or [root])[0]
    paras = [" ".join(p.text_content().split()) for p in box.iter("p", "td")]
    return tuple(p for p in paras if p)


def generated_report(agency: str, year: int, seed: int) -> list[str]:
    """A report in the 2021 format: six sections and the three standard tables, numbers from ``seed``."""
    rng = random.Random(seed)
    n = [rng.randint(0, 400) for _ in range(8)]
    return [
        f"{agency}{year}年政府信息公开工作年度报告",
        f"本报告依据《中华人民共和国政府信息公开条例》和国办公开办函〔2021〕30号要求编制，数据统计期限为{year}年1月1日至12月31日。",
        "一、总体情况", f"{year}年，{agency}认真贯彻落实政府信息公开各项要求，主动公开政府信息{n[0]}条。",
        "二、主动公开政府信息情况", f"制发规章{n[1] % 5}件，规范性文件{n[2] % 30}件，行政许可{n[3]}件。",
        "三、收到和处理政府信息公开申请情况", f"本年新收政府信息公开申请{n[4]}件，上年结转{n[5] % 10}件。",
        "四、政府信息公开行政复议、行政诉讼情况", f"行政复议{n[6] % 4}件，行政诉讼{n[7] % 3}件。",
        "五、存在的主要问题及改进情况", "主动公开的深度和广度还需加强，下一步将进一步规范公开内容。",
        "六、其他需要报告的事项", "本年度未收取信息处理费。",
    ]


def fake_file(kind: str, name: str, size: int = 0) -> bytes:
    """Deterministic attachment bytes with the right magic number (PDF, DOCX/XLSX zip, XLS/DOC OLE, JPEG)."""
    magic = {"pdf": b"%PDF-1.4\n", "docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04", "doc": b"\xd0\xcf\x11\xe0",
             "xls": b"\xd0\xcf\x11\xe0", "jpg": b"\xff\xd8\xff\xe0", "wps": b"\xd0\xcf\x11\xe0"}[kind]
    body = magic + f"nianbao demo attachment {name}\n".encode()
    if size > len(body):
        body += hashlib.sha256(name.encode()).digest() * ((size - len(body)) // 32 + 1)
        body = body[:size]
    return body


CONTENT_TYPES = {
    "pdf": "application/pdf", "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "jpg": "image/jpeg",
    "wps": "application/octet-stream",
}


@dataclass
class Attachment:
    path: str  # URL path (with query) on the doc's host
    name: str  # label shown in the link
    data: bytes
    kind: str = "pdf"
    expect: str = "stored"  # stored / too_large / not_found: what an honest crawler ends with
    status: int = 200


@dataclass
class Doc:
    """One listed item of a column: a report (``report_year`` set) or other news."""

    path: str
    title: str
    date: str  # YYYY-MM-DD as listed
    paragraphs: list[str]
    report_year: int | None = None
    agency: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    host: str | None = None  # another host of the same portal (shared backend)
    generated: bool = True
    withdrawn: bool = False
    expect: str = "stored"  # stored / not_found (soft 404) / robots / blocked
    soft_404: bool = False
    raw: bytes | None = None  # served as is (real captured page) instead of family markup
    revision: int = 0
    extra: dict = field(default_factory=dict)


class ColumnSite(Site):
    """A site whose reports sit in one or more listed columns; subclasses render family markup.

    Time control: ``publish``, ``withdraw`` and ``revise`` change what the next request sees, so tests can
    run "the next night" against the same server.
    """

    portal_id: str = ""
    charset: str = "utf-8"

    def __init__(self) -> None:
        self.docs: list[Doc] = []
        self.hits: dict[str, int] = {}

    # -- model -------------------------------------------------------------------------------------
    def url(self, doc: Doc) -> str:
        return f"http://{doc.host or self.hosts[0]}{doc.path}"

    def listed(self, docs: list[Doc] | None = None) -> list[Doc]:
        return sorted((d for d in (self.docs if docs is None else docs) if not d.withdrawn),
                      key=lambda d: (d.date, d.path), reverse=True)

    def find(self, host: str, path_qs: str) -> Doc | None:
        for doc in self.docs:
            if doc.path == path_qs and (doc.host or self.hosts[0]) == host:
                return doc
        return None

    def find_attachment(self, host: str, path_qs: str) -> tuple[Doc, Attachment] | None:
        for doc in self.docs:
            for att in doc.attachments:
                if att.path == path_qs and (doc.host or self.hosts[0]) == host:
                    return doc, att
        return None

    def publish(self, doc: Doc) -> str:
        self.docs.append(doc)
        return self.url(doc)

    def withdraw(self, url: str) -> None:
        for doc in self.docs:
            if self.url(doc) == url:
                doc.withdrawn = True

    def revise(self, url: str, date: str) -> None:
        """Same URL, new bytes, newer listing date (how a CMS shows an edited article)."""
        for doc in self.docs:
            if self.url(doc) == url:
                doc.revision += 1
                doc.date = date
                doc.paragraphs = [*doc.paragraphs, f"（{date}修订）"]
                doc.raw = None

    # -- serving -----------------------------------------------------------------------------------
    def count(self, key: str) -> int:
        self.hits[key] = self.hits.get(key, 0) + 1
        return self.hits[key]

    def article(self, doc: Doc) -> DemoResponse:  # pragma: no cover - interface
        raise NotImplementedError

    def serve_document(self, req: DemoRequest, path_qs: str) -> DemoResponse | None:
        doc = self.find(req.host, path_qs)
        if doc is not None:
            if doc.withdrawn:
                return self.not_found()
            if doc.soft_404:
                return DemoResponse.html(SOFT_404.format(cs=self.charset), charset=self.charset)
            return self.article(doc)
        found = self.find_attachment(req.host, path_qs)
        if found is not None:
            doc, att = found
            if doc.withdrawn or att.status == 404:
                return self.not_found()
            return DemoResponse(200, att.data, {"Content-Type": CONTENT_TYPES[att.kind]})
        return None

    def not_found(self) -> DemoResponse:
        return DemoResponse(404, NOT_FOUND, {"Content-Type": "text/html; charset=utf-8"})

    def truth(self, base: str) -> list[dict]:
        rows = []
        for doc in self.docs:
            if doc.report_year is None or doc.withdrawn:
                continue
            rows.append({
                "portal_id": self.portal_id, "url": self.url(doc), "report_year": doc.report_year,
                "agency": doc.agency, "title": doc.title, "publish_date": doc.date, "expect": doc.expect,
                "generated": doc.generated,
                "attachments": [
                    {"url": f"http://{doc.host or self.hosts[0]}{a.path}", "name": a.name, "expect": a.expect,
                     "sha256": hashlib.sha256(a.data).hexdigest()}
                    for a in doc.attachments
                ],
            })
        return rows
