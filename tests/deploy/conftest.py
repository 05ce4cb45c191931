"""Real servers for the deployment tests, on loopback: PostgreSQL (Debian's ``postgresql``, installed by
``make install``) and an S3 endpoint (moto in server mode). Each is skipped with the reason when it is absent."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

S3_KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_EC2_METADATA_DISABLED": "true"}


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres():
    """A throwaway PostgreSQL cluster on loopback; yields the DAGSTER_PG_* variables deploy/dagster.yaml reads."""
    pytest.importorskip("dagster_postgres", reason="dagster-postgres not installed: pip install -e '.[deploy]'")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (make install: apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="nianbao-pg-"))  # not under pytest's 0700 root-owned tmp tree
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root: run the server as the postgres user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as an unprivileged user")
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "--encoding", "UTF8", "--no-sync"], check=True, capture_output=True)
    subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                    f"-p {port} -k {sock} -h 127.0.0.1 -c fsync=off", "start"], check=True, capture_output=True)
    try:
        yield {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(port), "DAGSTER_PG_USER": "postgres",
               "DAGSTER_PG_PASSWORD": "unused", "DAGSTER_PG_DB": "postgres"}
    finally:
        subprocess.run([*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def s3_server():
    """An S3 endpoint on 127.0.0.1 (moto server) with the bucket ``nianbao``: (pyarrow S3FileSystem, URI template).

    The template takes a prefix: ``template.format("raw")`` is ``s3://testing:testing@nianbao/raw?endpoint_override=…``."""
    server_mod = pytest.importorskip("moto.server", reason="moto[server] not installed: pip install -e '.[deploy]'")
    from pyarrow import fs

    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3fs = fs.S3FileSystem(access_key="testing", secret_key="testing", region="us-east-1",
                           endpoint_override=f"{host}:{port}", scheme="http", allow_bucket_creation=True)
    s3fs.create_dir("nianbao")
    uri = f"s3://testing:testing@nianbao/{{}}?endpoint_override={host}:{port}&scheme=http&region=us-east-1"
    try:
        yield s3fs, uri
    finally:
        server.stop()
