"""Foreground: background work waits while requests are in flight, and never forever."""

from __future__ import annotations

import threading
import time

from graphsvc.foreground import Foreground


def test_step_aside_returns_at_once_when_no_request_is_in_flight() -> None:
    foreground = Foreground(patience=5)
    started = time.perf_counter()
    assert foreground.step_aside() is True
    assert time.perf_counter() - started < 1


def test_step_aside_waits_for_the_last_request_to_end() -> None:
    foreground = Foreground(patience=30)
    ended = threading.Event()
    waited: list[float] = []

    def background() -> None:
        started = time.perf_counter()
        foreground.step_aside()
        waited.append(time.perf_counter() - started)
        ended.set()

    with foreground.serving():
        with foreground.serving():
            worker = threading.Thread(target=background)
            worker.start()
            time.sleep(0.2)
        assert foreground.busy and not ended.is_set()  # one request still in flight
        time.sleep(0.1)
    assert ended.wait(10) and not foreground.busy
    worker.join()
    assert 0.25 <= waited[0] < 10


def test_step_aside_gives_up_after_its_patience_so_background_work_finishes() -> None:
    foreground = Foreground(patience=0.05)
    with foreground.serving():
        started = time.perf_counter()
        assert foreground.step_aside() is False
        assert 0.04 <= time.perf_counter() - started < 5


def test_a_request_that_fails_is_no_longer_counted() -> None:
    foreground = Foreground()
    try:
        with foreground.serving():
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert not foreground.busy


def test_the_collector_is_paused_until_the_last_of_overlapping_builds_ends() -> None:
    import gc

    from graphsvc.foreground import collector_paused

    assert gc.isenabled()
    first = collector_paused()
    first.__enter__()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the first build still runs
    first.__exit__(None, None, None)
    assert gc.isenabled()
    try:
        with collector_paused():
            raise ValueError("a build that fails")
    except ValueError:
        pass
    assert gc.isenabled()
