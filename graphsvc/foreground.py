"""Requests being served right now, so that background work can step aside for them.

A tie view rebuilt in the background (a new minute, see ``Graphsvc.view``) is a second or more
of pure-Python work in a thread. Sharing the interpreter lock with it, every request waits its
turn behind it, several times over (each store call gives the lock away), and latency climbs
from milliseconds to seconds while it runs. Background work calls ``step_aside`` between small
chunks: it goes on at once when no request is in flight and otherwise waits until none is, or
for ``patience`` seconds at most, so it always finishes.
"""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["PAUSE_EVERY", "Foreground", "collector_paused"]

#: Items of background work (ties, evidence records) between two calls of ``step_aside``: a few
#: milliseconds of Python, so a request arriving meanwhile waits at most that long.
PAUSE_EVERY = 256


class Foreground:
    """A count of requests in flight, and a wait for it to reach zero.

    >>> foreground = Foreground(patience=0.001)
    >>> with foreground.serving():
    ...     foreground.busy
    True
    >>> foreground.busy, foreground.step_aside()
    (False, True)
    """

    def __init__(self, patience: float = 0.02) -> None:
        self.patience = patience
        self._lock = threading.Lock()
        self._in_flight = 0
        self._idle = threading.Event()
        self._idle.set()

    @property
    def busy(self) -> bool:
        return self._in_flight > 0

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Counts one request in flight for the duration of the block."""
        with self._lock:
            self._in_flight += 1
            self._idle.clear()
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                if self._in_flight == 0:
                    self._idle.set()

    def step_aside(self) -> bool:
        """Waits while requests are in flight (at most ``patience`` s); True when none is."""
        return self._idle.wait(self.patience)


_collector_lock = threading.Lock()
_builds_in_progress = 0
_enable_after = False  # whether the collector was on when the first block began


@contextmanager
def collector_paused() -> Iterator[None]:
    """No automatic cyclic garbage collection while the block runs (in any thread).

    A snapshot and view of a large network are millions of new objects. While they are built,
    the collector's full passes walk them all again and again (8 passes of up to 0.3 s each for a
    430k-tie view, every request stalled meanwhile); the objects live on, so the passes free
    nothing. Reference counting still frees everything else. Nested and concurrent blocks count:
    the collector comes back when the last one ends.

    >>> with collector_paused():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    global _builds_in_progress, _enable_after
    with _collector_lock:
        _builds_in_progress += 1
        if _builds_in_progress == 1:
            _enable_after = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _collector_lock:
            _builds_in_progress -= 1
            if _builds_in_progress == 0 and _enable_after:
                gc.enable()

