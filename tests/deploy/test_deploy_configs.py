"""The shipped deploy/ configs are valid for the Dagster and launcher versions the project pins: a typo in
a key would otherwise only show when a cluster starts. (No Docker daemon or Kubernetes cluster here, so
the launchers are checked against their config schemas, not started.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ENV = {"DAGSTER_PG_HOST": "db", "DAGSTER_PG_PORT": "5432", "DAGSTER_PG_USER": "dagster",
       "DAGSTER_PG_PASSWORD": "secret", "DAGSTER_PG_DB": "dagster", "NIANBAO_IMAGE": "nianbao:latest"}


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)


def _process(config_type, value):
    from dagster._config import process_config

    result = process_config(config_type, value)
    assert result.success, [e.message for e in result.errors]
    return result.value


@pytest.mark.parametrize("launcher", ["dagster-docker.yaml", "dagster-k8s.yaml"])
def test_instance_with_launcher_is_valid(tmp_path, launcher):
    import importlib

    from dagster._core.instance.config import dagster_instance_config

    config = {**yaml.safe_load((DEPLOY / "dagster.yaml").read_text()), **yaml.safe_load((DEPLOY / launcher).read_text())}
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump(config, allow_unicode=True))
    processed, _ = dagster_instance_config(str(tmp_path))
    assert processed["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    limits = processed["concurrency"]["runs"]["tag_concurrency_limits"]
    assert {"key": "nianbao/host-group", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    block = config["run_launcher"]
    cls = getattr(importlib.import_module(block["module"]), block["class"])
    _process(cls.config_type(), block["config"])


@pytest.mark.parametrize(("module", "executor", "run_config"), [
    ("dagster_docker", "docker_executor", "run-config-docker-executor.yaml"),
    ("dagster_k8s", "k8s_job_executor", "run-config-k8s-executor.yaml"),
])
def test_executor_run_configs_are_valid(module, executor, run_config):
    import importlib

    executor_def = getattr(importlib.import_module(module), executor)
    config = yaml.safe_load((DEPLOY / run_config).read_text())["execution"]["config"]
    _process(executor_def.config_schema.config_type, config)


def test_crawl_shards_tags_match_the_limits():
    shards = yaml.safe_load((DEPLOY / "crawl-shards.yaml").read_text())["shards"]
    groups = [s["tags"]["nianbao/host-group"] for s in shards]
    assert len(groups) == len(set(groups))
    assert all(s["tags"]["nianbao/stage"] == "crawl" for s in shards)
