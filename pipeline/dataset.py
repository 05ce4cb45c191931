"""The Parquet writer and reader of the published dataset: versioned snapshots, one atomic switch.

What readers see: ``<root>/<table>/report_year=YYYY/part-0.parquet`` (hive), one file per partition,
plus the unpartitioned tables ``<root>/<name>/part-0.parquet``. ``report_year`` lives only in the
directory name: pandas' default reader cannot merge a partition key that is also stored inside the files
(it infers the key as a dictionary type), so keeping it out lets pandas, pyarrow, DuckDB, Polars and
Spark all read the tree as is.

**One publish = one version, switched atomically.** A publish (``write_year``, ``promote``,
``write_partition``, ``write_unpartitioned``, ``write_files``) never edits what readers see. It builds a
complete new version of the whole dataset and then switches one pointer, so a reader sees every table of
a year from one publish, never new reports with old facts — even when the publisher is killed anywhere:

* **Local disk.** ``<root>`` (e.g. ``data/dataset``) is a relative symlink to
  ``<parent>/.<name>-versions/vNNNNNN/``. A publish, holding an exclusive ``fcntl`` lock on
  ``<parent>/.<name>.lock`` (two publishers never interleave), hard-links every unchanged file of the
  current version into ``.build-vNNNNNN/``, moves the new files in, fsyncs the directories, renames the
  build to ``vNNNNNN``, then replaces the symlink (a temporary symlink renamed over it: rename is atomic)
  and fsyncs ``<parent>``. The reader-visible paths are unchanged. A real directory found at ``<root>``
  (the layout before versions) is moved to the first version on the next publish (readers see no
  dataset for the instant between the rename and the symlink; a kill there is repaired next time).
* **Object storage** (any other ``pyarrow.fs.FileSystem``, or a URI such as ``s3://bucket/prefix``):
  there is no symlink and no rename, so the versions live under ``<root>/_versions/vNNNNNN/`` (the same
  hive tree) and the small JSON object ``<root>/_current`` names the current one, written last (a PUT is
  atomic: readers see the old or the new pointer), Delta/Iceberg style. **External readers** read
  ``_current`` first, e.g. ``{"version": "v000007", "path": "_versions/v000007", ...}``, then read
  ``<root>/<path>/<table>/`` as a hive dataset (DuckDB: ``SELECT path FROM read_json('s3://b/p/_current')``,
  then ``read_parquet('s3://b/p/_versions/v000007/facts/*/*.parquet', hive_partitioning = true)``).
  ``open_dataset``, ``read_table`` and ``years_present`` do this themselves. A root without ``_current``
  is read as a plain tree (and copied into the first version at the next publish, then removed).
  Unchanged files are server-side copies (no hard links on S3). The lock is a local ``fcntl`` lock, so on
  object storage one machine at a time may publish (run publishes in one Dagster concurrency pool);
  unfinished versions and staging there are removed once they are an hour old.

Readers resolve the pointer once (``current_path``), so one ``read_table`` never mixes versions. The
previous ``KEEP_VERSIONS`` versions, and every version replaced less than ``KEEP_SECONDS`` ago, are kept
for readers in flight; older ones are removed. Leftovers of a killed publish (build directories,
temporary symlinks, staging of dead publishers, versions built but never switched to) are removed by the
next publish, under the lock.

**Stage → check → promote** (``stage_year``, ``pipeline.year_checks``, ``promote``): a year's files are
written in full to a staging folder beside the versions (invisible to readers), the blocking checks read
the staged files (``StagedYear.read``), and only a passing year is promoted; a failing one is discarded.

**Input.** ``stage_year`` takes, per table, a ``pyarrow.Table``, a ``pyarrow.RecordBatchReader``, any
iterable of ``pyarrow.RecordBatch`` (streamed to a ``pq.ParquetWriter`` in bounded row groups: memory does
not grow with the year) or an iterable of dict rows (converted in chunks; JSON-ish values coerced). Columns
are matched by name to the table's schema (``pipeline.schema.TABLES``): a missing or null non-nullable
column raises ``ValueError``, a missing nullable one is written as nulls, and ``report_year``, if given,
must equal the year staged (it is not stored in the files). An unknown column of Arrow input raises
``ValueError``; dict rows are parse records whose extra keys (provenance the tables do not publish) are
left out.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import itertools
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from .schema import PARTITION_FIELD, TABLES

PART_FILE = "part-0.parquet"
PARTITIONING = ds.partitioning(pa.schema([PARTITION_FIELD]), flavor="hive")
POINTER = "_current"  # object storage: the JSON object naming the current version
VERSIONS = "_versions"  # object storage: the versions, under the root
STAGING = "_staging"  # object storage: staged years, under the root
KEEP_VERSIONS = 3  # the current version and the two before it stay
KEEP_SECONDS = 600.0  # ...and every version replaced less than this long ago (readers in flight)
STALE_SECONDS = 3600.0  # object storage only: unfinished versions and staging older than this are removed
ROW_GROUP_ROWS = 128 * 1024  # streamed input is buffered up to this many rows per row group

_VERSION = re.compile(r"v(\d{6,})")

TableInput = pa.Table | pa.RecordBatchReader | Iterable[pa.RecordBatch] | Iterable[dict]


def file_schema(table: str) -> pa.Schema:
    """The schema stored inside a table's files: its columns without the partition key."""
    schema = TABLES[table]
    return schema.remove(schema.get_field_index(PARTITION_FIELD.name))


def _coerce(value: object, type_: pa.DataType) -> object:
    """JSON-ish values (ISO strings for dates and times, ints for floats) → what the column type takes."""
    if value is None or value == "":
        return None
    if pa.types.is_timestamp(type_) and isinstance(value, str):
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    if pa.types.is_date32(type_) and isinstance(value, str):
        return date.fromisoformat(value[:10])
    if pa.types.is_floating(type_) and isinstance(value, (int, str)) and not isinstance(value, bool):
        return float(value)
    if pa.types.is_integer(type_) and isinstance(value, (float, str)):
        return int(value)
    return value


def rows_to_arrow(rows: Iterable[dict], schema: pa.Schema) -> pa.Table:
    """Rows (dicts) → an Arrow table of ``schema``; unknown keys are ignored, missing ones null.
    (The writers check the keys first: see ``stage_year``.)"""
    rows = list(rows)
    columns = {f.name: [_coerce(row.get(f.name), f.type) for row in rows] for f in schema}
    return pa.Table.from_pydict(columns, schema=schema)


def to_arrow(table: str, rows: Iterable[dict]) -> pa.Table:
    return rows_to_arrow(rows, file_schema(table))


def partition_dir(root: str | Path, table: str, year: int) -> Path:
    """The reader-visible folder of one partition on local disk."""
    return Path(root) / table / _partition(year)


def _partition(year: int) -> str:
    return f"{PARTITION_FIELD.name}={int(year)}"


# --- input: validation and streaming -------------------------------------------------------------------


def _conform(batch: pa.RecordBatch, schema: pa.Schema, label: str, year: int | None) -> pa.RecordBatch:
    """One input batch → a batch of exactly ``schema`` (file columns, in order), or ValueError."""
    known = set(schema.names) | ({PARTITION_FIELD.name} if year is not None else set())
    unknown = [n for n in batch.schema.names if n not in known]
    if unknown:
        raise ValueError(f"{label}: unknown column(s) {unknown}; the table's columns are {schema.names}")
    if year is not None and PARTITION_FIELD.name in batch.schema.names:
        given = batch.column(PARTITION_FIELD.name)
        wrong = pc.drop_null(pc.filter(given, pc.not_equal(given, pa.scalar(int(year), given.type))))
        if len(wrong):
            raise ValueError(f"{label}: rows of {PARTITION_FIELD.name}={wrong[0].as_py()} in report year {year}")
    missing = [f.name for f in schema if f.name not in batch.schema.names and not f.nullable]
    if missing:
        raise ValueError(f"{label}: required column(s) {missing} missing")
    arrays = []
    for f in schema:
        if f.name not in batch.schema.names:
            arrays.append(pa.nulls(batch.num_rows, f.type))
            continue
        column = batch.column(f.name)
        if not f.nullable and column.null_count:
            raise ValueError(f"{label}: required column {f.name!r} has {column.null_count} null(s)")
        arrays.append(column if column.type == f.type else column.cast(f.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _batches(data: TableInput, schema: pa.Schema, label: str, year: int | None) -> Iterator[pa.RecordBatch]:
    """Any accepted input → conformed record batches, lazily (a stream stays a stream)."""
    if isinstance(data, pa.Table):
        source: Iterator = iter(data.to_batches())
    elif isinstance(data, pa.RecordBatchReader):
        source = iter(data)
    else:
        source = iter(data)
    first = next(source, None)
    if first is None:
        return
    source = itertools.chain([first], source)
    if isinstance(first, Mapping):
        yield from _row_batches(source, schema, label, year)
        return
    for item in source:
        if isinstance(item, pa.Table):
            for batch in item.to_batches():
                yield _conform(batch, schema, label, year)
        elif isinstance(item, pa.RecordBatch):
            yield _conform(item, schema, label, year)
        else:
            raise TypeError(f"{label}: expected RecordBatch items, got {type(item).__name__}")


def _row_batches(rows: Iterator[dict], schema: pa.Schema, label: str, year: int | None) -> Iterator[pa.RecordBatch]:
    """Dict rows → batches of at most ``ROW_GROUP_ROWS``. Dicts are parse records that carry provenance
    the tables do not publish (``kind``, ``raw_path``, ``breadcrumb`` ...), so their other keys are left
    out; a required column must be there."""
    full = schema.append(PARTITION_FIELD) if year is not None else schema
    while chunk := list(itertools.islice(rows, ROW_GROUP_ROWS)):
        keys = set().union(*chunk)
        given = [f for f in full if f.name in keys or not f.nullable]
        table = rows_to_arrow(chunk, pa.schema(given))
        for batch in table.to_batches():
            yield _conform(batch, schema, label, year)


def _write_parquet(path: str, batches: Iterable[pa.RecordBatch], schema: pa.Schema,
                   filesystem: pafs.FileSystem | None) -> None:
    """Stream batches into one Parquet file in row groups of about ``ROW_GROUP_ROWS`` (fsynced on disk)."""
    with pq.ParquetWriter(path, schema, filesystem=filesystem, compression="zstd") as writer:
        buffer: list[pa.RecordBatch] = []
        rows = 0
        for batch in batches:
            buffer.append(batch)
            rows += batch.num_rows
            if rows >= ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_batches(buffer, schema))
                buffer, rows = [], 0
        if buffer:
            writer.write_table(pa.Table.from_batches(buffer, schema))
    if filesystem is None:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# --- local disk: a symlink to the current version --------------------------------------------------------


def _fsync_dir(path: str | Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _inside(rel: str, changed: Iterable[str]) -> bool:
    return any(rel == c or rel.startswith(c + "/") for c in changed)


def _vnum(name: str) -> int | None:
    m = _VERSION.fullmatch(name)
    return int(m.group(1)) if m else None


class _Local:
    """The dataset on local disk: ``<root>`` → ``.<name>-versions/<vid>`` (see the module docstring)."""

    filesystem = None

    def __init__(self, root: str | Path):
        self.root = self._own_root(Path(os.path.abspath(root)))
        self.parent = self.root.parent
        self.versions = self.parent / f".{self.root.name}-versions"
        self.staging = self.versions / ".staging"
        self.lockfile = self.parent / f".{self.root.name}.lock"

    @staticmethod
    def _own_root(root: Path) -> Path:
        """Follow a symlink the user made (``data/dataset`` → ``/mnt/big/dataset``) to the root it names;
        stop at a symlink into its own versions folder (that one is ours)."""
        for _ in range(40):
            if not root.is_symlink():
                return root
            target = os.readlink(root)
            if PurePosixPath(target).parent == PurePosixPath(f".{root.name}-versions"):
                return root
            root = Path(os.path.abspath(root.parent / target))
        raise OSError(errno.ELOOP, "too many symlinks", str(root))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        self.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lockfile, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    # staging

    def new_stage(self, name: str) -> tuple[Path, int]:
        """A fresh staging folder and a shared lock on it that says "in use" until the stage is promoted
        or discarded (or its process dies: then the next publish removes it)."""
        with self.lock():
            folder = self.staging / f"{name}.{uuid.uuid4().hex}"
            folder.mkdir(parents=True)
            fd = os.open(folder / ".hold", os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_SH)
        return folder, fd

    @staticmethod
    def join(folder: str | Path, *parts: str) -> Path:
        return Path(folder, *parts)

    @staticmethod
    def makedirs(folder: str | Path) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)

    @staticmethod
    def drop_stage(folder: str | Path, hold: int | None) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        if hold is not None:
            with contextlib.suppress(OSError):
                os.close(hold)

    # reading

    def reader(self) -> tuple[pafs.FileSystem | None, str]:
        """The current version's folder, resolved once (a switch after this does not change what is read)."""
        return None, os.path.realpath(self.root)

    def current(self) -> str | None:
        return os.readlink(self.root).rsplit("/", 1)[-1] if self.root.is_symlink() else None

    # publishing

    def publish(self, changes: Mapping[str, Path | None]) -> None:
        """One new version: the current one with ``changes`` (relative path → staged file or folder that
        replaces it, None = remove it) applied, then the atomic switch."""
        with self.lock():
            current = self._recover()
            vid = self._next_id()
            build = self.versions / f".build-{vid}"
            build.mkdir(parents=True)
            if current is not None:
                self._link_tree(self.versions / current, build, changes)
            for rel, src in changes.items():
                if src is not None:
                    dest = build / rel
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(src, dest)
            for dirpath, _, _ in os.walk(build, topdown=False):
                _fsync_dir(dirpath)
            os.rename(build, self.versions / vid)
            _fsync_dir(self.versions)
            self._point(vid)
            self._collect(vid)

    @staticmethod
    def _link_tree(src: Path, dest: Path, changes: Iterable[str]) -> None:
        """Hard-link every file of ``src`` not replaced by ``changes`` into ``dest`` (a copy where the
        filesystem has no hard links). Names starting with '.' are temporary files and stay behind."""
        for dirpath, dirnames, filenames in os.walk(src):
            rel_dir = os.path.relpath(dirpath, src)
            rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/") + "/"
            dirnames[:] = [d for d in dirnames if not d.startswith(".") and rel_dir + d not in changes]
            for name in filenames:
                rel = rel_dir + name
                if name.startswith(".") or _inside(rel, changes):
                    continue
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.link(os.path.join(dirpath, name), target)
                except OSError as exc:
                    if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP):
                        raise
                    shutil.copy2(os.path.join(dirpath, name), target)
                    with open(target, "rb") as fh:
                        os.fsync(fh.fileno())

    def _point(self, vid: str) -> None:
        tmp = self.parent / f".{self.root.name}.{uuid.uuid4().hex}.lnk"
        os.symlink(f"{self.versions.name}/{vid}", tmp)
        os.replace(tmp, self.root)
        _fsync_dir(self.parent)

    def _numbers(self) -> dict[str, int]:
        if not self.versions.is_dir():
            return {}
        return {p.name: n for p in self.versions.iterdir() if (n := _vnum(p.name)) is not None}

    def _next_id(self) -> str:
        return f"v{max(self._numbers().values(), default=0) + 1:06d}"

    def _recover(self) -> str | None:
        """Under the lock: migrate a real directory, repair a missing pointer, remove every leftover of a
        killed publish. Returns the current version id (None: nothing published yet)."""
        self.versions.mkdir(parents=True, exist_ok=True)
        for tmp in self.parent.glob(f".{self.root.name}.*.lnk"):
            tmp.unlink(missing_ok=True)
        if self.root.is_dir() and not self.root.is_symlink():
            vid = self._next_id()
            os.rename(self.root, self.versions / vid)
            for dirpath, dirnames, filenames in os.walk(self.versions / vid):
                for name in [d for d in dirnames if d.startswith(".")]:
                    shutil.rmtree(os.path.join(dirpath, name), ignore_errors=True)
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for name in filenames:
                    if name.startswith(".") and name.endswith(".tmp"):
                        os.unlink(os.path.join(dirpath, name))
            _fsync_dir(self.versions)
            self._point(vid)
        numbers = self._numbers()
        if not self.root.is_symlink() and numbers:  # killed between migration's rename and its switch
            self._point(max(numbers, key=numbers.__getitem__))
        current = self.current()
        for entry in self.versions.iterdir():
            if entry.name.startswith((".build-", ".trash-")):
                shutil.rmtree(entry, ignore_errors=True)
            elif current is not None and entry.name in numbers and numbers[entry.name] > numbers.get(current, 0):
                shutil.rmtree(entry, ignore_errors=True)  # built, never switched to: nobody saw it
        if self.staging.is_dir():
            for folder in self.staging.iterdir():
                if self._abandoned(folder):
                    shutil.rmtree(folder, ignore_errors=True)
        return current

    @staticmethod
    def _abandoned(folder: Path) -> bool:
        """A staging folder whose publisher is gone: nobody holds its ``.hold`` lock."""
        try:
            fd = os.open(folder / ".hold", os.O_RDONLY)
        except FileNotFoundError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)
        return True

    def _collect(self, current: str) -> None:
        """Remove versions older than the kept ones (renamed away first, so the removal looks atomic)."""
        numbers = self._numbers()
        ordered = sorted(numbers, key=numbers.__getitem__)
        older = [n for n in ordered if numbers[n] < numbers[current]]
        kept = set(older[len(older) - (KEEP_VERSIONS - 1):]) if KEEP_VERSIONS > 1 else set()
        now = time.time()
        for name in older:
            successor = ordered[ordered.index(name) + 1]
            if name in kept or now - (self.versions / successor).stat().st_mtime < KEEP_SECONDS:
                continue
            trash = self.versions / f".trash-{name}"
            os.rename(self.versions / name, trash)
            shutil.rmtree(trash, ignore_errors=True)


# --- object storage: a pointer object ---------------------------------------------------------------------


class _Store:
    """The dataset on a pyarrow filesystem without symlinks or renames (S3, GCS, ...): see the docstring."""

    def __init__(self, filesystem: pafs.FileSystem, root: str):
        self.filesystem = filesystem
        self.root = str(root).rstrip("/")
        key = hashlib.sha1(f"{filesystem.type_name}:{self.root}".encode()).hexdigest()[:16]
        self.lockfile = Path(tempfile.gettempdir()) / f"nianbao-dataset-{key}.lock"

    def path(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        fd = os.open(self.lockfile, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def new_stage(self, name: str) -> tuple[str, None]:
        """A fresh staging prefix; its name carries its creation time (no lock says "in use" here)."""
        folder = self.path(STAGING, f"{name}.{int(time.time())}.{uuid.uuid4().hex}")
        self.filesystem.create_dir(folder)
        return folder, None

    @staticmethod
    def join(folder: str | Path, *parts: str) -> str:
        return "/".join([str(folder), *parts])

    def makedirs(self, folder: str | Path) -> None:
        self.filesystem.create_dir(str(folder))

    def drop_stage(self, folder: str | Path, hold: int | None) -> None:
        with contextlib.suppress(FileNotFoundError, OSError):
            self.filesystem.delete_dir(str(folder))

    def pointer(self) -> dict | None:
        try:
            with self.filesystem.open_input_stream(self.path(POINTER)) as fh:
                return json.loads(fh.read())
        except FileNotFoundError:
            return None

    def current(self) -> str | None:
        pointer = self.pointer()
        return pointer["version"] if pointer else None

    def reader(self) -> tuple[pafs.FileSystem, str]:
        pointer = self.pointer()
        return self.filesystem, self.path(pointer["path"]) if pointer else self.root

    def _files(self, base: str) -> list[pafs.FileInfo]:
        selector = pafs.FileSelector(base, recursive=True, allow_not_found=True)
        return [i for i in self.filesystem.get_file_info(selector) if i.type == pafs.FileType.File]

    def _entries(self, base: str) -> list[pafs.FileInfo]:
        return self.filesystem.get_file_info(pafs.FileSelector(base, allow_not_found=True))

    def _versions(self) -> tuple[dict[str, int], set[str]]:
        """(version folders by number, the versions whose ``<vid>.json`` says they were completed)."""
        numbers, done = {}, set()
        for info in self._entries(self.path(VERSIONS)):
            if info.type == pafs.FileType.Directory and (n := _vnum(info.base_name)) is not None:
                numbers[info.base_name] = n
            elif info.base_name.endswith(".json"):
                done.add(info.base_name[:-5])
        return numbers, done

    def _age(self, base: str) -> float:
        stamps = [i.mtime.timestamp() for i in self._files(base) if i.mtime is not None]
        return time.time() - max(stamps) if stamps else float("inf")

    def _delete(self, base: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.filesystem.delete_dir(base)

    def publish(self, changes: Mapping[str, str | None]) -> None:
        fs = self.filesystem
        with self.lock():
            current = self.current()
            numbers, done = self._versions()
            for name, n in numbers.items():  # unfinished or never switched to (hour-old: no cross-host lock)
                unswitched = name not in done or (current is not None and n > numbers.get(current, 0))
                if name != current and unswitched and self._age(self.path(VERSIONS, name)) > STALE_SECONDS:
                    self._delete(self.path(VERSIONS, name))
            for info in self._entries(self.path(STAGING)):
                created = info.base_name.rsplit(".", 2)[-2] if info.base_name.count(".") >= 2 else ""
                if not created.isdigit() or time.time() - int(created) > STALE_SECONDS:
                    self._delete(info.path)
            vid = f"v{max(numbers.values(), default=0) + 1:06d}"
            base = self.path(VERSIONS, vid)
            made: set[str] = set()
            source = self.path(VERSIONS, current) if current else self.root
            legacy = [] if current else [i for i in self._entries(self.root) if not i.base_name.startswith(("_", "."))]
            if current or legacy:
                for info in self._files(source):
                    rel = info.path[len(source) + 1:]
                    if rel.split("/")[0].startswith(("_", ".")) or _inside(rel, changes):
                        continue
                    self._copy(info.path, f"{base}/{rel}", made)
            for rel, src in changes.items():
                if src is None:
                    continue
                top = fs.get_file_info(src)
                for info in [top] if top.type == pafs.FileType.File else self._files(src):
                    sub = info.path[len(src):]
                    self._copy(info.path, f"{base}/{rel}{sub}", made)
            created = datetime.now(UTC).isoformat(timespec="seconds")
            record = {"version": vid, "path": f"{VERSIONS}/{vid}", "published_at": created, "previous": current}
            with fs.open_output_stream(f"{base}.json") as fh:
                fh.write(json.dumps(record).encode())
            with fs.open_output_stream(self.path(POINTER)) as fh:
                fh.write(json.dumps(record).encode())
            for info in legacy:  # the plain tree from before versions: copied into the first version
                if info.type == pafs.FileType.Directory:
                    self._delete(info.path)
                else:
                    fs.delete_file(info.path)
            self._collect(vid)

    def _copy(self, src: str, dest: str, made: set[str]) -> None:
        """A server-side copy (object stores need no folders; a local tree does)."""
        parent = dest.rsplit("/", 1)[0]
        if parent not in made:
            self.filesystem.create_dir(parent)
            made.add(parent)
        self.filesystem.copy_file(src, dest)

    def _collect(self, current: str) -> None:
        numbers, done = self._versions()
        older = sorted((n for n in numbers if numbers[n] < numbers[current] and n in done), key=numbers.__getitem__)
        kept = set(older[len(older) - (KEEP_VERSIONS - 1):]) if KEEP_VERSIONS > 1 else set()
        ordered = sorted(done & set(numbers), key=numbers.__getitem__)
        for name in older:
            successor = ordered[ordered.index(name) + 1]
            with self.filesystem.open_input_stream(self.path(VERSIONS, f"{successor}.json")) as fh:
                replaced = datetime.fromisoformat(json.loads(fh.read())["published_at"]).timestamp()
            if name in kept or time.time() - replaced < KEEP_SECONDS:
                continue
            self.filesystem.delete_file(self.path(VERSIONS, f"{name}.json"))
            self._delete(self.path(VERSIONS, name))


def _backend(root: str | Path, filesystem: pafs.FileSystem | None) -> _Local | _Store:
    if isinstance(root, str) and "://" in root:
        named, root = pafs.FileSystem.from_uri(root)
        filesystem = filesystem or named
    if filesystem is None or isinstance(filesystem, pafs.LocalFileSystem):
        return _Local(root)
    return _Store(filesystem, str(root))


# --- the API ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StagedYear:
    """One year of several tables written in full to a staging folder and not yet published."""

    root: Path | str
    year: int
    folder: Path | str
    files: dict[str, Path | str]  # table → staged Parquet file
    filesystem: pafs.FileSystem | None = None
    hold: int | None = field(default=None, repr=False, compare=False)  # the "stage in use" lock (local)

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """One staged table (what the year checks read: what is checked is what ships)."""
        return pq.read_table(self.files[table], columns=columns, filesystem=self.filesystem)


def current_version(root: str | Path, filesystem: pafs.FileSystem | None = None) -> str | None:
    """The id of the published version (``v000007``), None before the first versioned publish."""
    return _backend(root, filesystem).current()


def current_path(root: str | Path, filesystem: pafs.FileSystem | None = None) -> tuple[pafs.FileSystem | None, str]:
    """(filesystem, folder) of the current version, resolved once: read every table of one consistent
    version from there (None as filesystem: local disk)."""
    return _backend(root, filesystem).reader()


def current_tree(dataset_root: str | Path) -> tuple[pafs.FileSystem, str]:
    """``current_path`` with a filesystem to call even on local disk (``LocalFileSystem``), for readers
    that go through pyarrow.fs on both."""
    fs, base = current_path(dataset_root)
    return fs or pafs.LocalFileSystem(), base


def is_file(fs: pafs.FileSystem, path: str) -> bool:
    return fs.get_file_info(path).type == pafs.FileType.File


def stage_year(root: str | Path, year: int, tables: Mapping[str, TableInput], *,
               filesystem: pafs.FileSystem | None = None) -> StagedYear:
    """Write every table of one year in full to a fresh staging folder; nothing published changes.

    ``tables`` maps a table name of ``pipeline.schema.TABLES`` to its rows for the year: a
    ``pyarrow.Table``, a ``pyarrow.RecordBatchReader``, an iterable of ``pyarrow.RecordBatch`` (consumed
    once, written batch by batch) or an iterable of dicts. The tables are written one after another in
    the mapping's order, each input consumed in full before the next is started (a stream that needs
    another consumed first goes after it). Columns: see the module docstring (an unknown Arrow column or
    a missing required one raises ValueError). A failure while writing removes the staging folder."""
    backend = _backend(root, filesystem)
    unknown = sorted(set(tables) - set(TABLES))
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; the year's tables are {sorted(TABLES)}")
    folder, hold = backend.new_stage(_partition(year))
    files: dict[str, Path | str] = {}
    try:
        for table, data in tables.items():
            target = backend.join(folder, table, _partition(year))
            backend.makedirs(target)
            path = backend.join(target, PART_FILE)
            schema = file_schema(table)
            _write_parquet(str(path), _batches(data, schema, f"{table} {year}", int(year)), schema,
                           backend.filesystem)
            files[table] = path
    except BaseException:
        backend.drop_stage(folder, hold)
        raise
    return StagedYear(root, int(year), folder, files, backend.filesystem, hold)


def promote(staged: StagedYear) -> dict[str, Path | str]:
    """Publish a staged year as one new version (one atomic switch); returns each table's published file
    (the reader-visible path on local disk, the version's path on object storage)."""
    backend = _backend(staged.root, staged.filesystem)
    rel = {table: f"{table}/{_partition(staged.year)}" for table in staged.files}
    try:
        backend.publish({rel[table]: backend.join(staged.folder, rel[table]) for table in staged.files})
    finally:
        discard(staged)
    if isinstance(backend, _Local):
        return {table: partition_dir(staged.root, table, staged.year) / PART_FILE for table in staged.files}
    _, base = backend.reader()
    return {table: f"{base}/{rel[table]}/{PART_FILE}" for table in staged.files}


def discard(staged: StagedYear) -> None:
    """Drop a staged year that must not be published (or was): the published dataset is untouched."""
    _backend(staged.root, staged.filesystem).drop_stage(staged.folder, staged.hold)


def write_year(root: str | Path, year: int, tables: Mapping[str, TableInput], *,
               filesystem: pafs.FileSystem | None = None) -> dict[str, Path | str]:
    """Replace one year partition of several tables together, unchecked (stage, then promote)."""
    return promote(stage_year(root, year, tables, filesystem=filesystem))


def write_partition(root: str | Path, table: str, year: int, rows: TableInput, *,
                    filesystem: pafs.FileSystem | None = None) -> Path | str:
    """Replace one year partition of one table with exactly these rows (zero rows leaves an empty file)."""
    return write_year(root, year, {table: rows}, filesystem=filesystem)[table]


def write_unpartitioned(root: str | Path, name: str, rows: TableInput, schema: pa.Schema, *,
                        filesystem: pafs.FileSystem | None = None) -> Path | str:
    """Replace a small unpartitioned table (e.g. the document log) with exactly these rows, as a version."""
    backend = _backend(root, filesystem)
    folder, hold = backend.new_stage(name)
    try:
        backend.makedirs(backend.join(folder, name))
        _write_parquet(str(backend.join(folder, name, PART_FILE)), _batches(rows, schema, name, None), schema,
                       backend.filesystem)
        backend.publish({name: backend.join(folder, name)})
    finally:
        backend.drop_stage(folder, hold)
    if isinstance(backend, _Local):
        return Path(root) / name / PART_FILE
    return f"{backend.reader()[1]}/{name}/{PART_FILE}"


def write_files(root: str | Path, files: Mapping[str, bytes], *, filesystem: pafs.FileSystem | None = None) -> None:
    """Replace small files beside the tables (README.md, datapackage.json) as one version."""
    backend = _backend(root, filesystem)
    folder, hold = backend.new_stage("files")
    try:
        for name, body in files.items():
            path = str(backend.join(folder, name))
            if isinstance(backend, _Local):
                with open(path, "wb") as fh:
                    fh.write(body)
                    fh.flush()
                    os.fsync(fh.fileno())
            else:
                with backend.filesystem.open_output_stream(path) as fh:
                    fh.write(body)
        backend.publish({name: backend.join(folder, name) for name in files})
    finally:
        backend.drop_stage(folder, hold)


def open_dataset(root: str | Path, table: str, *, filesystem: pafs.FileSystem | None = None) -> ds.Dataset:
    """A pyarrow dataset of one table of the current version, the partition key typed explicitly (int16)."""
    fs, base = current_path(root, filesystem)
    return ds.dataset(f"{base}/{table}", filesystem=fs, format="parquet", partitioning=PARTITIONING,
                      schema=file_schema(table).append(PARTITION_FIELD))


def read_table(root: str | Path, table: str, year: int | None = None, *,
               filesystem: pafs.FileSystem | None = None) -> pa.Table:
    dataset = open_dataset(root, table, filesystem=filesystem)
    flt = ds.field(PARTITION_FIELD.name) == year if year is not None else None
    return dataset.to_table(filter=flt)


def years_present(root: str | Path, table: str, *, filesystem: pafs.FileSystem | None = None) -> list[int]:
    fs, base = current_path(root, filesystem)
    prefix = f"{PARTITION_FIELD.name}="
    fs = fs or pafs.LocalFileSystem()
    entries = fs.get_file_info(pafs.FileSelector(f"{base}/{table}", allow_not_found=True))
    return sorted(int(e.base_name[len(prefix):]) for e in entries
                  if e.type == pafs.FileType.Directory and e.base_name.startswith(prefix))
