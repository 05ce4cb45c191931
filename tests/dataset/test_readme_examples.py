"""Every example of the README's "Read the dataset" section runs on a real dataset and returns the shape
the README documents (the line ``# → col, col: …`` under each query)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from nianbao.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


def _section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Read the dataset")
    return text[start:text.index("\n## ", start + 1)]


QUERIES = re.findall(r'nianbao query --format csv "(.*?)"\n# → ([^:]+):', _section(), re.S)
COMMANDS = [line.split("#")[0].strip() for line in _section().splitlines()
            if line.startswith(".venv/bin/nianbao ") and " query " not in line]


@pytest.fixture
def in_repo_like_dir(release, tmp_path, monkeypatch) -> Path:
    """A working directory where ./data is the dataset's data directory, as after `make demo`."""
    (tmp_path / "data").symlink_to(release["data"], target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_readme_has_the_research_questions() -> None:
    assert len(QUERIES) == 5 and len(COMMANDS) == 3


@pytest.mark.parametrize("sql,columns", QUERIES, ids=[c.split(",")[0] + str(i) for i, (_, c) in enumerate(QUERIES)])
def test_readme_query_returns_the_documented_columns(in_repo_like_dir, capsys, sql, columns) -> None:
    assert main(["query", "--format", "json", sql]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows, "the example returns nothing on a real dataset"
    assert list(rows[0]) == [c.strip() for c in columns.split(",")]


def test_readme_python_example(in_repo_like_dir) -> None:
    code = re.search(r"```python\n(.*?)```", _section(), re.S).group(1)
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - the README's own example
    assert len(scope["facts"]) > 0 and "report_year" in scope["facts"].columns
    assert str(scope["reports"]["first_publish_date"].dtype).startswith("date32")
    assert set(scope["labels"].columns) >= {"code", "label_zh", "label_en"}


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_export_and_report_commands(in_repo_like_dir, command) -> None:
    argv = shlex.split(command)[1:]
    assert main(argv) == 0
    out = Path(argv[argv.index("--output") + 1])
    assert (out / "index.html").is_file() if out.suffix == "" else out.stat().st_size > 0
