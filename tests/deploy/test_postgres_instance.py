"""The shipped deploy/dagster.yaml on a real PostgreSQL server: a run of the project's own assets over a
real report page is stored (run, events, materializations) in PostgreSQL, and a second instance opened
from the same config reads it back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "real" / "pingtan" / "t20220208_80613.htm"  # 平潭 2021, g3


def _stored_page(data_dir: Path) -> None:
    """One real report page in the raw store with its manifest row, as a crawl leaves it."""
    from pipeline.manifest import ManifestRow, ManifestWriter
    from pipeline.rawstore import RawStore

    sha, path = RawStore(data_dir / "raw").put(FIXTURE.read_bytes(), ".html")
    writer = ManifestWriter(data_dir, "deploy-test")
    writer.write(ManifestRow(url="http://www.pingtan.gov.cn/zfxxgk/t20220208_80613.htm", portal_id="pingtan",
                             fetched_at="2022-02-09T00:00:00Z", outcome="stored", status=200,
                             content_type="text/html", sha256=sha, raw_path=str(path.relative_to(data_dir)),
                             size=FIXTURE.stat().st_size))
    writer.close()


@pytest.mark.e2e
def test_runs_and_events_are_stored_in_postgres(postgres, tmp_path, monkeypatch):
    import dagster as dg
    import psycopg2

    from dagster_project.assets.parse import documents, parsed_documents
    from dagster_project.resources import NianbaoResource

    for key, value in postgres.items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    data_dir = tmp_path / "data"
    _stored_page(data_dir)

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        result = dg.materialize([parsed_documents, documents], instance=instance,
                                resources={"nianbao": NianbaoResource(data_dir=str(data_dir))})
        assert result.success
        run_id = result.run_id

    # What a user of the deployment sees: the run and its materializations, read back from PostgreSQL.
    with psycopg2.connect(host="127.0.0.1", port=int(postgres["DAGSTER_PG_PORT"]), user="postgres",
                          dbname="postgres") as con, con.cursor() as cur:
        cur.execute("SELECT status FROM runs WHERE run_id = %s", (run_id,))
        assert cur.fetchone() == ("SUCCESS",)
        cur.execute("SELECT asset_key FROM event_logs WHERE run_id = %s AND "
                    "dagster_event_type = 'ASSET_MATERIALIZATION' ORDER BY asset_key", (run_id,))
        assert [row[0] for row in cur.fetchall()] == ['["documents"]', '["parsed_documents"]']
    assert not list(home.rglob("*.db")), "no SQLite storage may be created beside the PostgreSQL one"

    with dg.DagsterInstance.from_config(str(home)) as again:
        run = again.get_run_by_id(run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        event = again.get_latest_materialization_event(dg.AssetKey("parsed_documents"))
        assert event.asset_materialization.metadata["parsed"].value == 1
        assert event.asset_materialization.metadata["by_status"].data == {"ok": 1}
