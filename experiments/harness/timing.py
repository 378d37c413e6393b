"""Wall-clock timing done right: warm-up, repeats, median and interquartile range.

BLAS threads can be pinned (``threads=1``) with threadpoolctl so timings of one run compare
like with like; the timer, repeat count and thread setting are recorded with every result.
"""

from __future__ import annotations

import contextlib
import time

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["blas_threads", "time_call", "time_calls", "time_options"]

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
    return time_calls([fun], repeats=repeats, warmup=warmup, min_time=min_time,
                      max_time=max_time)[0]


def time_calls(funs, *, repeats: int = 7, warmup: int = 1, min_time: float = 0.0,
               max_time: float = 30.0) -> list[dict]:
    """Time several calls in alternation: one :func:`time_call` result per function.

    Each round takes one sample of every function in turn, so a burst of load on a shared
    machine falls on all of them alike and a ratio of their medians (a gradient over its
    plain solve) compares like with like. ``max_time`` bounds the whole measurement.
    """
    loops = [1] * len(funs)
    for j, fun in enumerate(funs):
        for _ in range(max(warmup, 1) if min_time > 0 else warmup):
            start = time.perf_counter()
            fun()
            elapsed = time.perf_counter() - start
            if min_time > 0 and 0 < elapsed < min_time:
                loops[j] = max(loops[j], int(np.ceil(min_time / elapsed)))
    samples = [[] for _ in funs]
    budget_start = time.perf_counter()
    for _ in range(repeats):
        for fun, n, taken in zip(funs, loops, samples):
            start = time.perf_counter()
            for _ in range(n):
                fun()
            taken.append((time.perf_counter() - start) / n)
        if time.perf_counter() - budget_start > max_time:
            break
    results = []
    for n, taken in zip(loops, samples):
        q1, median, q3 = np.percentile(taken, [25, 50, 75])
        results.append({"time_median": float(median), "time_iqr": float(q3 - q1),
                        "time_samples": len(taken), "time_loops": n, "timer": TIMER})
    return results
