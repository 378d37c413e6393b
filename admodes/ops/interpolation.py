"""Piecewise-linear interpolation, numpy's ``interp``, as a composite of take, where and
arithmetic: differentiable in the query points ``x`` and in the values ``fp`` (and in the knots
``xp`` when they are traced)."""

from __future__ import annotations

import numpy as np

from admodes.ops import _domains as dom
from admodes.ops.elementwise import add, cast, divide, multiply, subtract, where
from admodes.ops.indexing import take
from admodes.registry import defcomposite
from admodes.tracing import primal_value, shape_of


def _interp_domain(rng, dtype):
    xp = np.array([-1.5, -0.7, 0.1, 0.8, 1.6], dtype=dtype)
    fp = dom.real(rng, (5,), dtype)
    x = (xp[:-1] + xp[1:]) / 2 + rng.uniform(-0.2, 0.2, size=4).astype(dtype)  # off the knots
    outside = np.array([-1.9, 0.35, 1.9], dtype=dtype)
    return [((x, xp, fp), {}), ((outside.reshape(3, 1), xp, fp), {"left": -3.0, "right": 2.0})]


@defcomposite("interp", domain=_interp_domain,
              kinks="at a knot xp[k] the derivative in x is the slope of the segment to its "
                    "right (to its left at the last knot); 0 outside [xp[0], xp[-1]]",
              doc="interp(x, xp, fp, left=None, right=None): fp[i] + (fp[i+1] − fp[i])·(x − "
                  "xp[i])/(xp[i+1] − xp[i]) on the segment of x; fp[0] (left) and fp[-1] "
                  "(right) outside; float64, as numpy")
def interp(x, xp, fp, left=None, right=None, period=None):
    if period is not None:
        raise ValueError("interp(): period= is not supported by admodes")
    # numpy's interp computes in float64 whatever the inputs' precision, and returns float64
    x, xp, fp = (cast(v, dtype=np.float64) for v in (x, xp, fp))
    knots, values = np.asarray(primal_value(xp)), primal_value(fp)
    if knots.ndim != 1 or knots.shape != np.shape(values) or knots.size < 2:
        raise ValueError(f"interp(): xp and fp must be 1-d of the same length ≥ 2, got shapes "
                         f"{knots.shape} and {np.shape(values)}")
    queries = np.asarray(primal_value(x))
    i = np.clip(np.searchsorted(knots, queries, side="right") - 1, 0, knots.size - 2)
    x0, x1 = take(xp, i, axis=0), take(xp, i + 1, axis=0)
    f0, f1 = take(fp, i, axis=0), take(fp, i + 1, axis=0)
    inside = add(f0, multiply(subtract(f1, f0), divide(subtract(x, x0), subtract(x1, x0))))
    low = take(fp, np.zeros(shape_of(queries), dtype=int), axis=0) if left is None else left
    high = take(fp, np.full(shape_of(queries), knots.size - 1), axis=0) if right is None \
        else right
    return where(queries < knots[0], low, where(queries > knots[-1], high, inside))
