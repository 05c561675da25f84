"""Running the source stage from a thread of its own while the calling thread serves its store.

Called from a running event loop (a notebook, an async application), :func:`asyncio.run` cannot
nest, so the fetches get a loop of their own in a worker thread; a state store's connection
belongs to the thread that opened it (SQLite checks), so that thread reads the store through here.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeVar, cast

__all__ = ["CallerThread", "Proxy", "loop_running"]

_T = TypeVar("_T")


def loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class CallerThread:
    """Runs calls from a worker thread in the thread that made this, which waits meanwhile.

    A state store's connection belongs to the thread that opened it (SQLite checks), so a worker
    reads the store through here.
    """

    def __init__(self) -> None:
        self._calls: queue.SimpleQueue[tuple[Callable[[], object], Future[object]] | None] = queue.SimpleQueue()

    def call(self, function: Callable[[], _T]) -> _T:
        done: Future[object] = Future()
        self._calls.put((function, done))
        return cast(_T, done.result())

    def serve(self, future: Future[_T]) -> _T:
        future.add_done_callback(lambda _: self._calls.put(None))
        while (call := self._calls.get()) is not None:
            function, done = call
            try:
                done.set_result(function())
            except BaseException as exc:  # handed to the worker, which raises it
                done.set_exception(exc)
        return future.result()


class Proxy:
    """``target``'s methods, each called in the thread of ``caller``."""

    def __init__(self, target: object, caller: CallerThread) -> None:
        self._target = target
        self._caller = caller

    def __getattr__(self, name: str) -> Callable[..., object]:
        method = getattr(self._target, name)

        def call(*args: object, **kwargs: object) -> object:
            return self._caller.call(lambda: method(*args, **kwargs))

        return call
