"""Processes that answer intro questions for the server, so answers use every core.

An intro question is milliseconds of Python and numpy that hold the interpreter lock, and one
process runs one thread at a time: however many clients ask, a server answering in its own process
answers on one core (``graphsvc.api.analytics_thread``). ``graphsvc serve`` therefore starts
``GRAPHSVC_ANALYTICS_PROCESSES`` children (by default one per core, at most four) and sends each
``introPaths`` question to whichever is free. HTTP, authentication, limits, imports and their
progress stay in the server's process; a child only reads.

Each child opens the store from the server's settings and answers with its own service: the answer
is a pure function of the store, which every process reads, and of the evidence arrays, which
each loads from the file beside the store (``graphsvc.analytics.evidence_cache``) and keeps up to
date by the store's data version, as the server does. A question therefore sees every write that
finished before it was asked, whichever process answers it.

A child that dies (killed, out of memory) breaks the pool: the questions it held are asked once
more of a new pool, and a question that breaks that one too is answered with
``AnalyticsUnavailable``, never left waiting.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from graphsvc.api.analytics_thread import run_analytics
from graphsvc.errors import AnalyticsUnavailable

if TYPE_CHECKING:
    from graphsvc.service import Graphsvc
    from graphsvc.settings import Settings

__all__ = ["Analytics", "AnalyticsProcesses", "InServerThread", "QUESTIONS"]

#: The service's methods a child answers: pure reads whose arguments and answers pickle.
QUESTIONS = frozenset({"intro_paths"})


class InServerThread:
    """Answers on the server's analytics thread (an app given a service, as in-process tests make)."""

    def __init__(self, service: "Graphsvc") -> None:
        self.service = service

    async def ask(self, question: str, /, *args: Any, **kwargs: Any) -> Any:
        _check(question)
        return await run_analytics(getattr(self.service, question), *args, **kwargs)

    def start(self) -> None:
        pass

    def close(self) -> None:
        pass


class AnalyticsProcesses:
    """``processes`` children answering ``QUESTIONS`` with a service opened from ``settings``."""

    def __init__(self, settings: "Settings", processes: int) -> None:
        if processes < 1:
            raise ValueError("processes must be at least 1")
        self.settings, self.processes = settings, processes
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Start every child now (each opens the store and loads the default workspace's evidence),
        so the first questions do not wait for a process to start."""
        pool = self._current()
        for _ in range(self.processes):
            pool.submit(_ready)

    async def ask(self, question: str, /, *args: Any, **kwargs: Any) -> Any:
        """``service.<question>(*args, **kwargs)``, answered by a child."""
        _check(question)  # before anything is sent
        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = self._current()
            try:
                return await loop.run_in_executor(pool, _answer, question, args, kwargs)
            except BrokenProcessPool as exc:
                self._replace(pool)
                if attempt == 2:
                    raise AnalyticsUnavailable("the process answering this question stopped; ask again") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)  # the answers under way take milliseconds

    def pids(self) -> list[int]:
        """The children's process ids (for tests and diagnostics)."""
        pool = self._pool
        return sorted(pool._processes) if pool is not None and pool._processes else []  # noqa: SLF001 - no public accessor

    def _current(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                # spawn, not fork: the server has threads (a fork copies their locks held)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.processes, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_open_service, initargs=(self.settings,),
                )
            return self._pool

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)


def _check(question: str) -> None:
    if question not in QUESTIONS:
        raise ValueError(f"not a question the analytics processes answer: {question!r}")


# --- in a child ---------------------------------------------------------------------------------

_SERVICE: "Graphsvc | None" = None


def _open_service(settings: "Settings") -> None:
    global _SERVICE
    from graphsvc.service import Graphsvc

    threading.Thread(target=_exit_with_parent, name="graphsvc-parent-watch", daemon=True).start()
    _SERVICE = Graphsvc(settings)


def _exit_with_parent() -> None:
    """End this child when the server ends, however it ends: a child waits for work on a queue whose
    writing end it holds itself, so a server killed outright would otherwise leave it waiting forever."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()  # returns when the server's end of spawn's sentinel pipe closes
        os._exit(0)


def _ready() -> None:
    """Load the default workspace's evidence arrays (the file beside the store, or a rebuild)."""
    assert _SERVICE is not None
    try:
        _SERVICE.view(_SERVICE.workspace().id, None)
    except Exception:  # noqa: BLE001 - warming is best effort; the first question reports the error
        pass


def _answer(question: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    assert _SERVICE is not None
    return getattr(_SERVICE, question)(*args, **kwargs)


#: Where a server's intro questions are answered.
Analytics = AnalyticsProcesses | InServerThread
