"""Worker processes that parse what strangers send, each input within a time budget.

Parsing a feed, a saved file or an article page is CPU work on hostile bytes. Done on the event
loop's thread it holds up every fetch in flight: one feed that keeps the parser busy for a minute
makes an innocent feed answering in 1.5 s time out. So every parse runs in a worker process, one
input at a time, and an input that takes longer than its budget is abandoned: its worker is
killed (a thread cannot be stopped, a process can) and a fresh one started for the next input.
Each worker also caps its own address space at start (``RLIMIT_AS``, where the system has it): an
input that makes the parser allocate without end fails there with :class:`MemoryError` (or the worker
dies) long before the machine runs out, and is reported as :class:`OutOfMemory`; the worker is replaced.

A :class:`concurrent.futures.ProcessPoolExecutor` cannot stop one task: its workers are only ever
shut down together, after they finish. Here each worker is a process with a pipe; a thread of this
process waits on that pipe, so the event loop only awaits a future. What crosses the pipe is
pickled: bytes and plain values in, model objects and :class:`~digest.models.Problem` values out.

Workers outlive one run and serve the next (starting one costs the imports of a Python process);
they are stopped when this process exits.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

__all__ = ["OutOfMemory", "Overrun", "WorkerDied", "WorkerPool", "WorkersUnavailable", "shared_pool"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")
# Seconds a new worker may take to import what it parses with; past this, workers are unavailable.
_START_SECONDS = 120.0
_READY = "ready"
_OUT_OF_MEMORY = "out of memory"


class Overrun(Exception):
    """An input took longer than its budget; its worker was stopped."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g}s")
        self.seconds = seconds


class WorkerDied(Exception):
    """The worker's process ended while it had the input (killed for its memory, crashed)."""


class OutOfMemory(WorkerDied):
    """The input made its worker allocate past its memory cap; the worker was stopped."""

    def __init__(self, megabytes: int) -> None:
        super().__init__(f"took more than {megabytes} MB of memory")
        self.megabytes = megabytes


class WorkersUnavailable(Exception):
    """No worker process could be started here (a sandbox, a script without a ``__main__`` guard)."""


class _Failed(Exception):
    """An exception raised in a worker, carried back as its type name and text."""


def _cap_memory(megabytes: int) -> None:
    """Cap this process's address space at ``megabytes`` (0: no cap); where the system cannot, say so."""
    if not megabytes:
        return
    try:
        import resource

        limit = megabytes * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))
    except (ImportError, AttributeError, ValueError, OSError) as exc:  # Windows; macOS refuses RLIMIT_AS
        log.warning("worker memory not capped here (%s): fetch.parse_memory_mb has no effect", exc)


def _serve(conn: Connection, preload: tuple[str, ...], megabytes: int = 0) -> None:
    """A worker's loop: cap its memory, import what the jobs need (calling a module's ``warm()``), say
    so, then run jobs until the pipe closes. One that runs out of memory says so and ends: what the
    failed allocation left behind is not worth keeping.
    """
    import importlib

    _cap_memory(megabytes)
    for name in preload:
        warm = getattr(importlib.import_module(name), "warm", None)
        if callable(warm):
            warm()
    conn.send(_READY)
    while True:
        try:
            function, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[bool, Any] = (True, function(*args))
        except MemoryError:
            reply = (False, _OUT_OF_MEMORY)
        except Exception as exc:  # the job's own failure goes back to the caller, the worker goes on
            reply = (False, f"{type(exc).__name__}: {exc}")
        conn.send(reply)
        if reply == (False, _OUT_OF_MEMORY):
            return


class _Worker:
    def __init__(self, preload: tuple[str, ...], megabytes: int = 0) -> None:
        context = multiprocessing.get_context("spawn")  # fork is unsafe in a process running threads
        self.conn, child = context.Pipe()
        self.process: BaseProcess = context.Process(target=_serve, args=(child, preload, megabytes), daemon=True)
        try:
            self.process.start()
        except (OSError, RuntimeError) as exc:
            raise WorkersUnavailable(str(exc)) from exc
        finally:
            child.close()
        try:
            ready = self.conn.poll(_START_SECONDS) and self.conn.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self.kill()
            raise WorkersUnavailable(f"a worker process did not start (exit code {self.process.exitcode})")

    def call(self, function: Callable[..., _T], args: tuple[object, ...]) -> _T:
        self.conn.send((function, args))
        ok, value = self.conn.recv()
        if not ok:
            raise _Failed(value)
        result: _T = value
        return result

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """Workers started as inputs come, each capped at ``megabytes`` of address space (0: no cap); idle
    ones kept for the next input.
    """

    def __init__(self, preload: tuple[str, ...] = (), megabytes: int = 0) -> None:
        self._preload = preload
        self.megabytes = megabytes
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(max_workers=64, thread_name_prefix="digest-worker")
        self.unavailable = False

    def _take(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return _Worker(self._preload, self.megabytes)

    def _give(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    async def run(self, seconds: float, function: Callable[..., _T], *args: object) -> _T:
        """``function(*args)`` in a worker within ``seconds``, else :class:`Overrun` (its worker replaced).

        The budget starts when the worker has the input: waiting for a worker to start is not the input's doing.
        """
        if self.unavailable:
            raise WorkersUnavailable("worker processes unavailable")
        loop = asyncio.get_running_loop()
        try:
            worker = await loop.run_in_executor(self._threads, self._take)
        except WorkersUnavailable:
            self.unavailable = True
            raise
        done = False
        try:
            result = await asyncio.wait_for(loop.run_in_executor(self._threads, worker.call, function, args), seconds)
            done = True
            return result
        except TimeoutError:
            raise Overrun(seconds) from None
        except _Failed as exc:
            if str(exc) == _OUT_OF_MEMORY:
                raise OutOfMemory(self.megabytes) from None
            done = True  # the worker caught it and is ready for the next input
            raise RuntimeError(str(exc)) from None
        except (EOFError, OSError) as exc:
            raise WorkerDied(f"its parser's process died (exit code {worker.process.exitcode})") from exc
        finally:
            if done:
                self._give(worker)
            else:
                # Timed out, died, or the caller gave up (cancelled): the worker may still be busy.
                await loop.run_in_executor(self._threads, worker.kill)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_shared: dict[int, WorkerPool] = {}
_shared_lock = threading.Lock()


def shared_pool(megabytes: int = 0) -> WorkerPool:
    """The process's workers capped at ``megabytes`` each, started on first use and stopped at exit."""
    with _shared_lock:
        pool = _shared.get(megabytes)
        if pool is None:
            pool = _shared[megabytes] = WorkerPool(preload=("digest.sources.jobs",), megabytes=megabytes)
            atexit.register(pool.close)
        return pool
