"""Input checks shared by :func:`admodes.ode.solve` and :func:`admodes.ode.gradient`.

Every check raises a TypeError (wrong kind of object) or ValueError (right kind, wrong value)
that repeats what was passed and says what was expected.
"""

from __future__ import annotations

import numbers

import numpy as np

from admodes.tracing import Tracer, primal_value, shape_of

__all__ = ["check_loss", "check_rhs", "check_t_obs", "check_t_span", "check_tolerances",
           "float_vector"]


def float_vector(x, name: str, allow_tracer: bool = False, allow_empty: bool = False):
    """``x`` as a 1-D float array (or a 1-D tracer if ``allow_tracer``)."""
    if isinstance(x, Tracer):
        if not allow_tracer:
            raise TypeError(f"{name} is a traced array; this function needs plain float arrays "
                            f"(its derivatives are computed by the chosen method)")
        value = primal_value(x)
        if np.ndim(value) != 1 or not np.issubdtype(np.result_type(value), np.floating):
            raise ValueError(f"{name} must be a 1-D float array, got shape {shape_of(x)} and "
                             f"dtype {np.result_type(value)}")
        return x
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"{name} must be a 1-D float array, got {x!r}")
    try:
        array = np.asarray(x)
    except Exception as err:  # ragged nested lists and the like
        raise TypeError(f"{name} could not be converted to an array: {err}") from err
    if array.dtype == object or not np.issubdtype(array.dtype, np.number) \
            or np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{name} must be a 1-D real float array, got dtype {array.dtype}")
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name} has {array.dtype} dtype; it must be a float array. Convert it, "
                        f"e.g. np.asarray({name}, dtype=float).")
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}; use np.ravel or "
                         f"np.atleast_1d")
    if array.size == 0 and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains non-finite values: {array}")
    return array


def _real(x, what):
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{what} must be a real number, got {x!r}")
    value = float(x)
    if not np.isfinite(value):
        raise ValueError(f"{what} must be finite, got {x!r}")
    return value


def check_t_span(t_span) -> tuple[float, float]:
    """``(t0, t1)`` with finite t0 < t1 (integration runs forward in time)."""
    if isinstance(t_span, np.ndarray):
        t_span = tuple(t_span.tolist()) if t_span.ndim == 1 else t_span
    if not isinstance(t_span, (tuple, list)) or len(t_span) != 2:
        raise TypeError(f"t_span must be a pair (t0, t1), got {t_span!r}")
    t0, t1 = (_real(t, "t_span entry") for t in t_span)
    if not t0 < t1:
        raise ValueError(f"t_span = {t_span!r} must satisfy t0 < t1 (integration runs forward "
                         f"in time)")
    return t0, t1


def check_t_obs(t_obs, t_span) -> np.ndarray:
    """Observation times: a non-empty, strictly increasing 1-D array inside ``t_span``."""
    if isinstance(t_obs, (numbers.Real, np.floating)) and not isinstance(t_obs, bool):
        t_obs = [t_obs]
    times = float_vector(t_obs, "t_obs")
    t0, t1 = t_span
    if times[0] < t0 or times[-1] > t1:
        raise ValueError(f"t_obs must lie inside t_span = ({t0:g}, {t1:g}); got values from "
                         f"{times.min():g} to {times.max():g}")
    if times.size > 1 and not np.all(np.diff(times) > 0):
        bad = int(np.argmin(np.diff(times)))
        raise ValueError(f"t_obs must be strictly increasing; t_obs[{bad}] = {times[bad]:g} is "
                         f"followed by t_obs[{bad + 1}] = {times[bad + 1]:g}")
    return times


def check_tolerances(rtol, atol) -> tuple[float, float]:
    """Positive finite relative and absolute tolerances."""
    rtol, atol = _real(rtol, "rtol"), _real(atol, "atol")
    if rtol <= 0 or atol <= 0:
        raise ValueError(f"rtol and atol must be positive, got rtol={rtol!r}, atol={atol!r}")
    return rtol, atol


def check_rhs(rhs, t0, y0, params, name: str = "rhs"):
    """Evaluate ``rhs(t0, y0, params)`` once: it must return an array shaped like ``y0``."""
    if not callable(rhs):
        raise TypeError(f"{name} must be callable as {name}(t, y, params), got {rhs!r}")
    try:
        out = rhs(t0, y0, params)
    except (IndexError, ValueError) as err:
        raise ValueError(f"{name}(t0, y0, params) failed for y0 of shape {shape_of(y0)} and "
                         f"params of shape {shape_of(params)}: {type(err).__name__}: {err}. "
                         f"Check that y0 and params have the lengths {name} expects.") from err
    value = primal_value(out)
    if isinstance(value, (list, tuple)):
        raise TypeError(f"{name}(t, y, params) returned a {type(value).__name__}; it must return "
                        f"an array shaped like y (build it with anp.stack or anp.array)")
    shape = np.shape(value)
    if shape != shape_of(y0):
        raise ValueError(f"{name}(t, y, params) returned shape {shape} but y0 has shape "
                         f"{shape_of(y0)}; dy/dt must have the shape of y")
    if not np.all(np.isfinite(value)):
        raise ValueError(f"{name}(t0, y0, params) is not finite: {value}")
    return out


def check_loss(loss, ys, params, name: str = "loss"):
    """Evaluate ``loss(ys, params)`` once: it must return a real scalar."""
    if not callable(loss):
        raise TypeError(f"{name} must be callable as {name}(ys, params), got {loss!r}")
    value = primal_value(loss(ys, params))
    if np.shape(value) != ():
        raise ValueError(f"{name}(ys, params) must return a scalar, got shape {np.shape(value)}; "
                         f"reduce it, e.g. with anp.sum")
    if not np.issubdtype(np.result_type(value), np.floating):
        raise TypeError(f"{name}(ys, params) must return a real float, got dtype "
                        f"{np.result_type(value)}")
    return value
