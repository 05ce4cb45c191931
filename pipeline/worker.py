"""Parse each document in a child process with a time and memory budget.

One hostile document must not end the night: a native crash (python-calamine aborting on a sparse XLSX),
a regex that never returns, or a grid that asks for 8 GB kills or stalls only the child. The parent
records a result with ``parse_status`` ``error`` and a reason that starts with ``budget:`` (see
``publish.failed_result``) and starts a fresh child for the next document.

The child is long-lived (its imports and OCR models are loaded once). The budget is on what a document
costs the machine: wall-clock seconds and *resident* memory, both enforced by the parent, which polls the
child's RSS while it waits and kills it over budget; the child also reports its peak RSS of the document
(``VmHWM``, reset before each document), so a spike shorter than the poll is over budget all the same.
Address space (``RLIMIT_AS``) is not the budget: onnxruntime and glibc reserve far more than they touch
(an OCR page reserves about 1.7 GB of address space and touches about 0.7 GB). It stays as a backstop at
four times the memory budget, so one huge allocation fails at once with ``MemoryError`` in the child
instead of growing between two polls. The child runs in its own process group (a stopped document's
antiword or LibreOffice is killed with it) and dies with its parent (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import atexit
import ctypes
import ctypes.util
import functools
import os
import queue
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# How long a fresh child may take to import the parser (not counted against a document's budget).
_START_SECONDS = 300.0
# How often the parent reads the child's RSS while a document is parsed.
_POLL_SECONDS = 0.05
# A child left holding more than this share of the memory budget after a document (caches a big document
# filled: 250 MB after a 50,000-row table) is replaced before the next one, so each document starts from
# a small process (about 70 MB, 180 MB with the OCR models loaded).
_RECYCLE_SHARE = 0.25
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Budget:
    """Per-document limits of the parsing process: wall-clock seconds, resident memory (RSS) and, as a
    backstop only, address space (default four times ``memory_mb``)."""

    seconds: float = 30.0
    memory_mb: int = 1024
    address_mb: int | None = None
    # The slow lane: a document that ran out of ``seconds`` (a scanned report of a dozen pages costs
    # ~20 s of OCR a page) is asked once more with ``slow_seconds``, at most ``slow_per_run`` a run.
    slow_seconds: float = 600.0
    slow_per_run: int = 5

    def slow_lane(self) -> Budget:
        """This budget with the slow lane's time."""
        return replace(self, seconds=max(self.seconds, self.slow_seconds))

    @property
    def address_limit_mb(self) -> int:
        return self.address_mb or 4 * self.memory_mb

    @classmethod
    def from_env(cls) -> Budget:
        """``NIANBAO_PARSE_SECONDS`` / ``NIANBAO_PARSE_MEMORY_MB`` / ``NIANBAO_PARSE_ADDRESS_MB`` /
        ``NIANBAO_PARSE_SLOW_SECONDS`` / ``NIANBAO_PARSE_SLOW_PER_RUN`` override the defaults."""
        address = os.environ.get("NIANBAO_PARSE_ADDRESS_MB")
        return cls(seconds=float(os.environ.get("NIANBAO_PARSE_SECONDS", cls.seconds)),
                   memory_mb=int(os.environ.get("NIANBAO_PARSE_MEMORY_MB", cls.memory_mb)),
                   address_mb=int(address) if address else None,
                   slow_seconds=float(os.environ.get("NIANBAO_PARSE_SLOW_SECONDS", cls.slow_seconds)),
                   slow_per_run=int(os.environ.get("NIANBAO_PARSE_SLOW_PER_RUN", cls.slow_per_run)))


@dataclass(frozen=True)
class Cost:
    """What the last document cost: wall seconds in the child and its peak RSS in MB (0 when unknown)."""

    seconds: float
    peak_mb: int


def _rss_mb(pid: int) -> int:
    """Current RSS of ``pid`` in MB (``/proc/<pid>/statm``); 0 where there is no /proc (the address-space
    backstop is then the only memory limit)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE // (1024 * 1024)
    except (OSError, IndexError, ValueError):
        return 0


def _reset_peak() -> None:
    """Start this process's ``VmHWM`` afresh (Linux ≥ 4.0), so the peak read after a document is its own."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass  # the peak is then the process's lifetime peak: never lower than the document's


def _peak_mb() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


_SPAWN_LOCK = threading.Lock()
_SPAWNER: list[ThreadPoolExecutor] = []


def _popen(args: list[str], **kwargs: object) -> subprocess.Popen:
    """``subprocess.Popen`` run by one long-lived thread: a child's ``PR_SET_PDEATHSIG`` fires when the
    thread that started it ends, and a pool thread that restarts a crashed child ends with its pool call."""
    with _SPAWN_LOCK:
        if not _SPAWNER:
            _SPAWNER.append(ThreadPoolExecutor(1, thread_name_prefix="parse-spawner"))
    return _SPAWNER[0].submit(subprocess.Popen, args, **kwargs).result()


@functools.cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def _malloc_trim() -> Callable[[int], int] | None:
    return getattr(_libc(), "malloc_trim", None)  # None: not glibc


def trim_heap() -> None:
    """Give freed heap memory back to the OS (glibc ``malloc_trim``): otherwise a child keeps a big
    document's or an OCR page's freed memory resident, and the next document starts that much nearer the
    budget."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _die_with(parent_pid: int) -> None:
    """SIGKILL this child when the thread that started it ends (Linux ``PR_SET_PDEATHSIG``; children are
    started by one thread that lives as long as the parent, see :func:`_popen`): the child runs in its own
    process group, so a terminal's Ctrl-C does not reach it, and a child stuck in a regex holds the GIL, so
    nothing in it could notice a killed parent."""
    prctl = getattr(_libc(), "prctl", None)
    if prctl is None:  # not Linux: the child ends when it next reads from a closed pipe
        return
    prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before the call
        os._exit(1)


def _serve(fd: int, memory_mb: int, address_mb: int, parent_pid: int) -> None:
    """Child loop: receive (data, row, portal, parent, kwargs), send ("ok", result, peak MB) or (kind, reason)."""
    _die_with(parent_pid)
    conn = Connection(fd)
    limit = address_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no core file behind
    from pipeline.process import process_document

    conn.send(("ready", os.getpid()))
    over = ("memory", f"budget: address space over {address_mb} MB (memory budget {memory_mb} MB)")
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        except MemoryError:  # the document alone does not fit
            conn.send(over)
            return
        if job is None:
            return
        data, row, portal, parent, kwargs = job
        result = None
        _reset_peak()
        try:
            result = process_document(data, row, portal, parent, **kwargs)
        except MemoryError:
            del data, job
            conn.send(over)
            return  # the heap may be fragmented beyond use: the parent starts a fresh child
        except Exception as exc:  # noqa: BLE001 - any parser bug becomes this document's reason
            reply = ("error", f"{type(exc).__name__}: {exc}"[:500], _peak_mb())
        else:
            reply = ("ok", result, _peak_mb())
        try:
            conn.send(reply)
        except OSError:  # the parent is gone
            return
        job = data = result = reply = None  # freed before the heap is trimmed
        trim_heap()


class BudgetedWorker:
    """A child process that parses documents one at a time within a :class:`Budget`.

    ``process`` never raises for a bad document; it returns the parse result or a failed result whose
    ``parse_reason`` says what happened (``budget: timeout after 30 s``, ``budget: crashed (SIGABRT)``,
    ``budget: memory over 1024 MB``). ``last`` is what the document cost (:class:`Cost`).
    """

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget.from_env()
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._starting: tuple[subprocess.Popen, Connection] | None = None
        self.starts = 0  # child processes started: 1 + one per crash, timeout, memory overrun or recycle
        self.last = Cost(0.0, 0)

    def __enter__(self) -> BudgetedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the child now (else it starts with the first document); a running child is kept."""
        if self._proc is None or self._proc.poll() is not None:
            self._stop()
            self._start()

    def _start(self) -> None:
        self._spawn()
        self._await_ready()

    def _spawn(self) -> None:
        # A fresh interpreter (not fork/forkserver): nothing of the caller's threads, locks or __main__
        # is inherited or re-imported; the two ends talk over a socket pair as multiprocessing connections.
        ours, theirs = socket.socketpair()
        proc = _popen(
            [sys.executable, "-m", "pipeline.worker", str(theirs.fileno()), str(self.budget.memory_mb),
             str(self.budget.address_limit_mb), str(os.getpid())],
            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, close_fds=True, process_group=0,
        )
        theirs.close()
        self._starting = (proc, Connection(ours.detach()))
        self.starts += 1

    def _await_ready(self) -> None:
        proc, conn = self._starting
        self._starting = None
        if not conn.poll(_START_SECONDS):
            proc.kill()
            proc.wait()
            conn.close()
            raise RuntimeError("parse worker did not start")
        try:
            kind, _ = conn.recv()
        except (EOFError, OSError) as exc:
            proc.wait()
            raise RuntimeError(f"parse worker did not start (exit status {proc.returncode})") from exc
        self._proc, self._conn = proc, conn

    def _stop(self) -> None:
        if self._proc is not None:
            if self._proc.returncode is None:  # not reaped yet, so its process group is still ours
                try:  # the child and what it started (antiword, LibreOffice): none outlives a stopped document
                    os.killpg(self._proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    self._proc.kill()
            self._proc.wait()
        if self._conn is not None:
            self._conn.close()
        self._proc = self._conn = None

    def close(self) -> None:
        if self._conn is not None and self._proc is not None and self._proc.poll() is None:
            try:
                self._conn.send(None)
                self._proc.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._stop()

    def process(self, data: bytes, row: dict, portal: dict | None = None, parent: dict | None = None,
                **kwargs: object) -> dict:
        """``process_document(data, row, portal, parent, **kwargs)`` in the child, or a failed result with
        the budget it broke."""
        from pipeline.publish import failed_result

        self.start()
        assert self._conn is not None and self._proc is not None
        budget, pid = self.budget, self._proc.pid
        begun = time.monotonic()
        seen = 0  # the highest RSS polled

        def failed(reason: str, peak: int = 0) -> dict:
            self.last = Cost(time.monotonic() - begun, max(seen, peak))
            self._stop()
            return failed_result(row, reason)

        try:
            self._conn.send((data, row, portal, parent, kwargs))
        except OSError:
            pass  # the child died before reading: recv below reports how
        while not self._conn.poll(min(_POLL_SECONDS, max(0.0, begun + budget.seconds - time.monotonic()))):
            seen = max(seen, _rss_mb(pid))
            if seen > budget.memory_mb:
                return failed(f"budget: memory over {budget.memory_mb} MB")
            if time.monotonic() >= begun + budget.seconds:
                return failed(f"budget: timeout after {budget.seconds:g} s")
        try:
            kind, payload, *peak = self._conn.recv()
        except (EOFError, OSError):
            try:
                code = self._proc.wait(5)
            except subprocess.TimeoutExpired:
                code = None
            return failed(f"budget: crashed ({_exit_name(code)})")
        if kind == "memory":
            return failed(payload)
        self.last = Cost(time.monotonic() - begun, max([seen, *peak]))
        if self.last.peak_mb > budget.memory_mb:  # finished, but a spike between two polls broke the budget
            return failed(f"budget: memory over {budget.memory_mb} MB")
        if _rss_mb(pid) > _RECYCLE_SHARE * budget.memory_mb:
            self.close()  # the next document starts in a fresh child
        return payload if kind == "ok" else failed_result(row, payload)


def _exit_name(code: int | None) -> str:
    if code is None:
        return "exit status unknown"
    if code < 0:
        try:
            return signal.Signals(-code).name
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"


def workers_from_env() -> int:
    """``NIANBAO_PARSE_WORKERS`` (default 2): parsing children of the parse step."""
    return max(1, int(os.environ.get("NIANBAO_PARSE_WORKERS", "2")))


class ParsePool:
    """A pool of :class:`BudgetedWorker` children, each driven by one thread of the caller.

    The parsing runs in the children, so ``size`` documents are parsed at once; a thread only sends a
    job and waits on its child's pipe (and reads the job's bytes), so the caller's GIL is no bottleneck.
    Each document keeps its own budget: a crash, timeout or memory overrun restarts that child only.
    The children start together with the first job (none for a run with nothing to parse).
    """

    def __init__(self, size: int | None = None, budget: Budget | None = None) -> None:
        self.size = size or workers_from_env()
        self.budget = budget or Budget.from_env()
        self.workers: list[BudgetedWorker] = []

    def __enter__(self) -> ParsePool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for worker in self.workers:
            worker.close()
        self.workers = []

    def _start(self) -> None:
        self.workers = [BudgetedWorker(self.budget) for _ in range(self.size)]
        for worker in self.workers:  # all interpreters import the parser at the same time
            worker._spawn()
        for worker in self.workers:
            worker._await_ready()

    def imap_unordered(self, func: Callable[[BudgetedWorker, T], R], items: Iterable[T],
                       in_flight: int | None = None) -> Iterator[tuple[T, R]]:
        """``(item, func(worker, item))`` as each completes, ``func`` running in a thread that has a child
        to itself; at most ``in_flight`` (default 2 × size) items are taken from ``items`` ahead, so a
        lazy ``items`` is read as the pool advances."""
        in_flight = in_flight or 2 * self.size
        free: queue.SimpleQueue[BudgetedWorker] = queue.SimpleQueue()
        for worker in self.workers:  # started by an earlier call
            free.put(worker)

        def run(item: T) -> R:
            worker = free.get()
            try:
                return func(worker, item)
            finally:
                free.put(worker)

        with ThreadPoolExecutor(self.size, thread_name_prefix="parse") as executor:
            running: dict[Future, T] = {}
            for item in items:
                if not self.workers:
                    self._start()
                    for worker in self.workers:
                        free.put(worker)
                running[executor.submit(run, item)] = item
                if len(running) >= in_flight:
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield running.pop(future), future.result()
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    yield running.pop(future), future.result()


_DEFAULT: BudgetedWorker | None = None


def process_budgeted(data: bytes, row: dict, portal: dict | None = None, parent: dict | None = None,
                     **kwargs: object) -> dict:
    """``process_document`` in this process's shared budgeted worker (started on first use); the budget
    comes from the environment (:meth:`Budget.from_env`)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = BudgetedWorker()
        atexit.register(_DEFAULT.close)
    return _DEFAULT.process(data, row, portal, parent, **kwargs)


if __name__ == "__main__":
    _serve(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
