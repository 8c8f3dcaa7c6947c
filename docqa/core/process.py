"""Facts and settings of the running process: the cores it may use, glibc's malloc.

The malloc settings are no-ops where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import os
from typing import Any

M_ARENA_MAX = -8  # mallopt parameter


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def cap_malloc_arenas(arenas: int = 2) -> None:
    """Use at most ``arenas`` malloc arenas instead of glibc's 8 per core.

    Every request thread otherwise takes an arena of its own, and each keeps what it freed
    (bench/: peak RSS of the service under 16 clients).
    """
    try:
        ctypes.CDLL(None).mallopt(M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass


def release_free_heap() -> None:
    """Hand freed heap pages back to the system (after start-up work that is done with)."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


PR_SET_NAME = 15  # prctl option: the calling thread's name, as ``top -H`` and /proc show it


def name_os_thread(name: str) -> None:
    """Give the calling thread ``name`` (at most 15 bytes) in the OS too: Python's thread names
    stay inside Python, and every thread of the service showed as ``python`` (``top -H``,
    ``bench.scale_service``'s CPU per thread during an update). No-op where prctl is missing."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass


def named_threads(prefix: str) -> dict[str, Any]:
    """``ThreadPoolExecutor`` keywords that name its threads ``prefix`` in Python and in the OS."""
    return {"thread_name_prefix": prefix, "initializer": name_os_thread, "initargs": (prefix,)}


def one_blas_thread() -> Any:
    """A context in which numpy's BLAS runs one thread, for searches run one after another in a
    tool's own process (``docqa eval``, ``docqa search``; the service sets it for good). A search's
    products are small (a question's words against the term vectors, a hit's sentences), and two
    threads wait on each other: on 2 busy cores ``docqa eval`` of crosslingual_v1 took p50 90.1 ms
    a search with them and 46.5 ms with one."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="blas")
