"""Wall-clock timing done right: warm-up, repeats, median and interquartile range.

BLAS threads can be pinned (``threads=1``) with threadpoolctl so timings of one run compare
like with like; the timer, repeat count and thread setting are recorded with every result.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["blas_threads", "time_call", "time_options"]

TIMER = "time.perf_counter"


@contextlib.contextmanager
def blas_threads(threads: int | None):
    """Limit BLAS/OpenMP threads inside the block (``None`` leaves them as they are)."""
    if threads is None:
        yield
        return
    with threadpool_limits(limits=threads):
        yield


def time_options(config: dict) -> dict:
    """The :func:`time_call` settings an experiment's config gives (``repeats``, ``min_time``,
    ``max_time``; those it leaves out keep their defaults)."""
    return {key: config[key] for key in ("repeats", "min_time", "max_time") if key in config}


def time_call(fun, *, repeats: int = 7, warmup: int = 1, min_time: float = 0.0,
              max_time: float = 30.0) -> dict:
    """Time ``fun()``: ``warmup`` untimed calls, then ``repeats`` timed ones.

    Each timed sample loops ``fun`` enough times to last ``min_time`` seconds (the loop count
    is found during warm-up), and sampling stops early after ``max_time`` seconds in total.
    Returns the median and interquartile range of the per-call time in seconds, with the
    number of samples, loops per sample and the timer used.
    """
    loops = 1
    for _ in range(max(warmup, 1) if min_time > 0 else warmup):
        start = time.perf_counter()
        fun()
        elapsed = time.perf_counter() - start
        if min_time > 0 and 0 < elapsed < min_time:
            loops = max(loops, int(np.ceil(min_time / elapsed)))
    samples = []
    budget_start = time.perf_counter()
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(loops):
            fun()
        samples.append((time.perf_counter() - start) / loops)
        if time.perf_counter() - budget_start > max_time:
            break
    q1, median, q3 = np.percentile(samples, [25, 50, 75])
    return {"time_median": float(median), "time_iqr": float(q3 - q1), "time_samples": len(samples),
            "time_loops": loops, "timer": TIMER}
