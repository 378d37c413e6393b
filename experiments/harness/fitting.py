"""Power-law fits on log-log axes, with confidence intervals, and crossovers."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["crossover", "loglog_slope"]


def loglog_slope(x, y, confidence: float = 0.95) -> dict:
    """Fit log y = a + b log x by least squares: slope b with its confidence interval.

    The interval is b ± t_{(1+c)/2, N-2} · SE(b) (Student t, N points). With two points the
    interval is undefined (nan).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = (x > 0) & (y > 0)
    lx, ly = np.log(x[keep]), np.log(y[keep])
    if len(lx) < 2:
        raise ValueError(f"loglog_slope needs at least 2 positive points, got {len(lx)}")
    fit = stats.linregress(lx, ly)
    if len(lx) > 2:
        half = stats.t.ppf(0.5 + confidence / 2, len(lx) - 2) * fit.stderr
    else:
        half = float("nan")
    return {"slope": float(fit.slope), "ci_low": float(fit.slope - half),
            "ci_high": float(fit.slope + half), "intercept": float(fit.intercept),
            "r2": float(fit.rvalue ** 2), "points": len(lx)}


def crossover(x, ratio):
    """Where ``ratio`` (a - b) crosses 1, by log-linear interpolation; None if it never does."""
    x, ratio = np.asarray(x, dtype=float), np.asarray(ratio, dtype=float)
    order = np.argsort(x)
    x, lr = np.log(x[order]), np.log(ratio[order])
    for i in range(len(x) - 1):
        if lr[i] == 0:
            return float(np.exp(x[i]))
        if lr[i] * lr[i + 1] < 0:
            t = lr[i] / (lr[i] - lr[i + 1])
            return float(np.exp(x[i] + t * (x[i + 1] - x[i])))
    return None
