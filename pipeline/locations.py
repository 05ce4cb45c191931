"""Where the raw store and the published dataset live: the one setting each, read by the crawl's item
pipeline, the parse/publish step, ``nianbao verify`` and (through ``dg.EnvVar``) the Dagster resource.

``NIANBAO_RAW_URI`` and ``NIANBAO_DATASET_URI`` take a local folder or an object-storage URI such as
``s3://bucket/nianbao/raw?endpoint_override=minio:9000&scheme=http`` (credentials from the usual AWS
variables). Unset, they are ``<data>/raw`` and ``<data>/dataset``. The manifest, the manifest state, the
frontier and the parsed store stay under the data directory on local disk: they are a run's working state.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

RAW_ENV = "NIANBAO_RAW_URI"
DATASET_ENV = "NIANBAO_DATASET_URI"


def is_uri(root: object) -> bool:
    """A root naming object storage (``s3://…``) rather than a local folder."""
    return isinstance(root, str) and "://" in root


def as_root(value: str | os.PathLike[str]) -> str | Path:
    """A root as the readers and writers take it: a URI stays a string, a folder becomes a ``Path``."""
    value = os.fspath(value)
    return value if is_uri(value) else Path(value)


def _named(value: str | os.PathLike[str] | None, data_dir: str | os.PathLike[str], default: str) -> str | Path:
    return as_root(value) if value else Path(data_dir) / default


def raw_root(data_dir: str | os.PathLike[str], configured: str | None = None) -> str | Path:
    """The raw store's root: ``configured``, else ``$NIANBAO_RAW_URI``, else ``<data>/raw``."""
    return _named(configured or os.environ.get(RAW_ENV), data_dir, "raw")


def dataset_root(data_dir: str | os.PathLike[str], configured: str | None = None) -> str | Path:
    """The published dataset's root: ``configured``, else ``$NIANBAO_DATASET_URI``, else ``<data>/dataset``."""
    return _named(configured or os.environ.get(DATASET_ENV), data_dir, "dataset")


def shown(root: str | os.PathLike[str]) -> str:
    """A root as it may be printed: an object-storage URI without credentials or query
    (``s3://nianbao/dataset``), a local folder as is."""
    if not is_uri(root):
        return os.fspath(root)
    parts = urlsplit(str(root))
    return f"{parts.scheme}://{parts.hostname or ''}{parts.path}"
