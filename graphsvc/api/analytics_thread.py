"""The thread that answers analytic questions (intro paths, ties, neglected ties, ROI, reach).

Those answers are milliseconds of Python and numpy work that hold the interpreter lock. Run in
the default pool, several of them at once only take turns on the lock, each one's latency
becoming the sum of all (50 clients back to back on team data: 33 req/s with six threads, 46
with one; paced at 20 req/s, p95 275 ms against 164 ms). So they run one at a time, in arrival
order, on one thread of their own; the event loop stays free for HTTP, and the default pool for
store reads, imports and the long structure questions (brokers, communities), which would hold up
every intro behind them here. More throughput comes from more processes, not more threads.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

__all__ = ["run_analytics"]

T = TypeVar("T")

_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphsvc-analytics")


async def run_analytics(function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """``function(*args, **kwargs)`` on the analytics thread (with the caller's context variables)."""
    context = contextvars.copy_context()
    call = functools.partial(context.run, function, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, call)
