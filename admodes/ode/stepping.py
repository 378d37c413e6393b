"""The time-stepping loop shared by the admodes integrators: step-size control and observations.

Adaptive methods (Dormand-Prince, Rosenbrock) use the standard controller of Hairer, Nørsett &
Wanner (*Solving ODEs I*, 2nd ed., 1993, sec. II.4): with the scaled error
err = ‖e / (atol + rtol·max(|y_n|, |y_{n+1}|))‖_RMS of the local error estimate e, a step is
accepted if err ≤ 1 and the next step is h·min(5, max(0.2, 0.9·err^(−1/(q+1)))) (q the order
of the embedded estimate; no increase right after a rejection), starting from HNW's initial
step-size heuristic (sec. II.4, "Starting step size"). Fixed-step methods (Euler, RK4) take
``steps`` equal steps over ``t_span``.

All step-size decisions are made on plain values (:func:`admodes.tracing.primal_value`), so the
accepted step sequence is a constant of the differentiated program: differentiating a solve
(or :mod:`admodes.ode.discrete`) gives the exact derivative of the discrete solution for that
step sequence.

Observations: a method with dense output (Dormand-Prince) never shortens a step for an
observation time; y(t_obs) comes from its continuous extension in the step containing t_obs.
The other methods land on every observation time exactly (adaptive ones clip the step, fixed
ones insert t_obs into the uniform grid), so y(t_obs) is a state of the solution.
"""

from __future__ import annotations

import dataclasses

import numpy as np

import admodes.numpy as anp
from admodes.tracing import Tracer, primal_value

__all__ = ["StepLimitError", "Trajectory", "integrate"]

_SAFETY, _MIN_FACTOR, _MAX_FACTOR = 0.9, 0.2, 5.0


class StepLimitError(RuntimeError):
    """An adaptive solve used up ``max_steps`` or its step size underflowed."""


@dataclasses.dataclass
class Trajectory:
    """One solve: accepted step boundaries, observations and (optionally) every state.

    ``times`` t_0 < ... < t_N; ``observations[i]`` is ``(n, None)`` if y(t_obs[i]) is the state
    y_n, or ``(n, θ)`` if it is the dense output at t_n + θ(t_{n+1} − t_n) inside step n;
    ``ys[i]`` is that value; ``states`` holds y_0..y_N when requested, else None.
    """

    times: list
    observations: list
    ys: list
    states: list | None
    rhs_evaluations: int
    rejected: int

    @property
    def n_steps(self) -> int:
        return len(self.times) - 1

    def observed(self):
        """The observed states stacked, shape (len(t_obs), n): numpy, or a tracer if traced."""
        if any(isinstance(y, Tracer) for y in self.ys):
            return anp.stack(self.ys)
        return np.stack(self.ys)


class _Counter:
    """Wrap ``rhs`` to count its evaluations."""

    def __init__(self, rhs):
        self.rhs = rhs
        self.calls = 0

    def __call__(self, t, y, params):
        self.calls += 1
        return self.rhs(t, y, params)


def _rms(x) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if np.size(x) else 0.0


def initial_step(rhs, t0, y0, params, f0, order, rtol, atol, span) -> float:
    """HNW I (sec. II.4) starting step size for a method of order ``order`` (plain values)."""
    scale = atol + rtol * np.abs(y0)
    d0, d1 = _rms(y0 / scale), _rms(f0 / scale)
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h0 = min(h0, span)
    with np.errstate(over="ignore", invalid="ignore"):
        f1 = primal_value(rhs(t0 + h0, y0 + h0 * f0, params))
        d2 = _rms((f1 - f0) / scale) / h0
    if not np.isfinite(d2):
        return h0
    largest = max(d1, d2)
    h1 = max(1e-6, 1e-3 * h0) if largest <= 1e-15 else (0.01 / largest) ** (1.0 / (order + 1))
    return min(100.0 * h0, h1, span)


def _fixed_grid(t0, t1, steps, t_obs) -> np.ndarray:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int (number of fixed steps over t_span), "
                         f"got {steps!r}")
    grid = np.linspace(t0, t1, int(steps) + 1)
    return np.union1d(grid, t_obs)


def _check_adaptive_options(max_steps, first_step):
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) \
            or max_steps < 1:
        raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
    if first_step is not None and (isinstance(first_step, bool)
                                   or not isinstance(first_step, (int, float, np.floating))
                                   or not first_step > 0):
        raise ValueError(f"first_step must be a positive float or None, got {first_step!r}")


def integrate(method, rhs, y0, params, t_span, t_obs, *, rtol=1e-8, atol=1e-8, steps=100,
              max_steps=10_000, first_step=None, keep_states=False) -> Trajectory:
    """Solve dy/dt = rhs(t, y, params), y(t0) = y0 with ``method``; observe at ``t_obs``.

    ``method`` is one of :data:`admodes.ode.explicit.EULER`, ``RK4``, ``DOPRI5``,
    :data:`admodes.ode.implicit.ROSENBROCK` or ``RODAS4``. ``y0`` and ``params`` may be tracers (the solve is
    then differentiated); ``t_span``, ``t_obs`` are validated plain values. ``steps`` is the
    number of steps of a fixed-step method; ``max_steps`` bounds the attempted steps of an
    adaptive one (raising :class:`StepLimitError`, which suggests an implicit solver);
    ``first_step`` overrides the initial step size.
    """
    counted = _Counter(rhs)
    t0, t1 = t_span
    t_obs = [float(t) for t in t_obs]
    n_obs = len(t_obs)
    ys, observations = [None] * n_obs, [None] * n_obs
    i = 0
    while i < n_obs and t_obs[i] == t0:
        ys[i], observations[i] = y0, (0, None)
        i += 1
    t, y, first = t0, y0, None
    times, states = [t0], ([y0] if keep_states else None)
    rejected = attempts = 0
    if method.adaptive:
        _check_adaptive_options(max_steps, first_step)
        y_plain, p_plain = primal_value(y0), primal_value(params)
        first = counted(t0, y0, params)
        h = first_step if first_step is not None else initial_step(
            counted, t0, y_plain, p_plain, primal_value(first), method.error_order, rtol, atol,
            t1 - t0)
        exponent = 1.0 / (method.error_order + 1)
        max_factor = _MAX_FACTOR
    else:
        grid = _fixed_grid(t0, t1, steps, t_obs)
    while t < t1:
        if method.adaptive:
            if attempts >= max_steps:
                raise StepLimitError(
                    f"{method.name} used max_steps={max_steps} steps and reached t = {t:.6g} of "
                    f"t_span = ({t0:g}, {t1:g}) (step size {h:.3g}); the problem is probably "
                    f"stiff. Use solver='rodas4' or 'rosenbrock' (or 'Radau'/'BDF' with the continuous "
                    f"methods), or raise max_steps.")
            target = t1 if method.has_dense_output or i >= n_obs else t_obs[i]
            if t + 1.01 * h >= target:
                t_new = target
                h = target - t
            else:
                t_new = t + h
                h = t_new - t  # the step actually taken, so that times[n+1] - times[n] == h
            if h <= 16 * np.finfo(float).eps * max(abs(t), 1.0):
                raise StepLimitError(
                    f"{method.name}: step size {h:.3g} underflowed at t = {t:.6g}; the solution "
                    f"is probably not finite or the tolerances rtol={rtol:g}, atol={atol:g} "
                    f"are too tight")
        else:
            t_new = float(grid[len(times)])
            h = t_new - t
        attempts += 1
        with np.errstate(over="ignore", invalid="ignore"):
            y_new, stages = method.step(counted, t, h, y, params, first)
        if method.adaptive:
            y_p, y_new_p = primal_value(y), primal_value(y_new)
            scale = atol + rtol * np.maximum(np.abs(y_p), np.abs(y_new_p))
            with np.errstate(over="ignore", invalid="ignore"):
                err = _rms(method.error_estimate(h, stages) / scale)
            if not err <= 1.0:  # also rejects NaN
                rejected += 1
                h *= max(_MIN_FACTOR, _SAFETY * err ** -exponent) if np.isfinite(err) \
                    else _MIN_FACTOR
                max_factor = 1.0
                continue
        n = len(times) - 1
        while i < n_obs and t_obs[i] <= t_new:
            if t_obs[i] == t_new:
                ys[i], observations[i] = y_new, (n + 1, None)
            else:
                theta = (t_obs[i] - t) / h
                ys[i], observations[i] = method.interpolate(y, h, stages, theta), (n, theta)
            i += 1
        first = method.next_first(stages)
        t, y = t_new, y_new
        times.append(t)
        if keep_states:
            states.append(y)
        if method.adaptive:
            factor = _MAX_FACTOR if err == 0.0 else _SAFETY * err ** -exponent
            h *= min(max_factor, max(_MIN_FACTOR, factor))
            max_factor = _MAX_FACTOR
    if not np.all(np.isfinite(primal_value(y))):
        raise FloatingPointError(f"{method.name}: the solution is not finite at t = {t1:g}")
    return Trajectory(times, observations, ys, states, counted.calls, rejected)
