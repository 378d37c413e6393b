"""Peak memory of a call, traced with ``tracemalloc`` (numpy buffers and Python objects)."""

from __future__ import annotations

import gc
import tracemalloc

__all__ = ["traced_peak"]


def traced_peak(fun) -> int:
    """Peak bytes allocated (numpy buffers and Python objects) while ``fun()`` runs.

    Measured with ``tracemalloc`` above the memory already in use when it starts; if tracing
    is already on, its peak is reset instead of restarting it.
    """
    gc.collect()
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        fun()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if started:
            tracemalloc.stop()
    return int(peak - base)
