"""``scipy.integrate.solve_ivp`` with a step limit and errors that say what to do.

The continuous sensitivity methods integrate three kinds of systems (the state, the forward
sensitivities, the adjoint) with the solvers of ``solve_ivp``. Two things are added here:

* a step limit: an explicit solver on a stiff problem does not fail, it takes millions of tiny
  steps; after ``max_steps`` accepted steps a
  :class:`~admodes.ode.stepping.StepLimitError` is raised, naming the system, the time
  reached and the fix (an implicit solver);
* a failure of ``solve_ivp`` (step size underflow, a singular Newton matrix) raises the same
  error with the same context instead of returning ``success=False``.
"""

from __future__ import annotations

import bisect
import functools

import numpy as np
import scipy.integrate

from admodes.ode.stepping import StepLimitError

__all__ = [
    "EXPLICIT",
    "IMPLICIT",
    "SCIPY_SOLVERS",
    "DenseSolution",
    "check_max_steps",
    "check_solver",
    "integrate",
]

EXPLICIT = ("RK45", "RK23", "DOP853")
IMPLICIT = ("Radau", "BDF", "LSODA")
SCIPY_SOLVERS = EXPLICIT + IMPLICIT


def check_solver(solver, method):
    """The scipy solver name ``solver`` (validated) for the continuous method ``method``."""
    if not isinstance(solver, str) or solver not in SCIPY_SOLVERS:
        raise ValueError(f"method={method!r} integrates with scipy.integrate.solve_ivp; "
                         f"solver must be one of {SCIPY_SOLVERS}, got {solver!r} (the admodes "
                         f"integrators 'euler', 'rk4', 'dopri5', 'rosenbrock', 'rodas4' go with "
                         f"method='discrete' or 'finite_difference')")
    return solver


def check_max_steps(max_steps):
    if isinstance(max_steps, bool) or not isinstance(max_steps, (int, np.integer)) \
            or max_steps < 1:
        raise ValueError(f"max_steps must be a positive int, got {max_steps!r}")
    return int(max_steps)


class _StepLimitReached(Exception):
    """Raised inside the solver's step; carries the time reached."""

    def __init__(self, t):
        super().__init__(t)
        self.t = t


@functools.cache
def _limited(solver, max_steps):
    """A subclass of the scipy solver class ``solver`` that stops after ``max_steps`` steps."""
    base = getattr(scipy.integrate, solver)

    def _step_impl(self):
        self.accepted_steps = getattr(self, "accepted_steps", 0) + 1
        if self.accepted_steps > max_steps:
            raise _StepLimitReached(self.t)
        return base._step_impl(self)

    return type(f"{solver}Limited", (base,), {"_step_impl": _step_impl})


def integrate(fun, t_span, z0, *, solver, rtol, atol, max_steps, what, jac=None,
              t_eval=None, dense_output=False, first_step=None, hint=None):
    """``solve_ivp(fun, t_span, z0, ...)`` (forward or backward in time) with the checks above.

    ``what`` names the system in error messages ("state", "adjoint", ...) and ``hint``, if
    given, replaces their default advice. ``jac`` is passed to the implicit solvers only;
    ``t_eval``, ``dense_output`` and ``first_step`` as in ``solve_ivp``. Returns the
    ``OdeResult``.
    """
    options = {"jac": jac} if jac is not None and solver in IMPLICIT else {}
    if first_step is not None:
        options["first_step"] = first_step
    try:
        result = scipy.integrate.solve_ivp(
            fun, t_span, z0, method=_limited(solver, max_steps), rtol=rtol, atol=atol,
            t_eval=t_eval, dense_output=dense_output, **options)
    except _StepLimitReached as stop:
        advice = hint or ("The problem is probably stiff: use an implicit solver "
                          "(solver='Radau', 'BDF' or 'LSODA')" if solver in EXPLICIT
                          else "Loosen rtol/atol")
        raise StepLimitError(
            f"solve_ivp ({solver}) took more than max_steps={max_steps} steps integrating the "
            f"{what} from t={t_span[0]:g} to t={t_span[1]:g} and stopped at t={stop.t:g}. "
            f"{advice}, or raise max_steps.") from None
    if not result.success:
        advice = hint or ("The problem may be stiff: try solver='Radau' or 'BDF'"
                          if solver in EXPLICIT else "")
        where = f" after t={result.t[-1]:g}" if len(result.t) else ""
        raise StepLimitError(
            f"solve_ivp ({solver}) failed integrating the {what} from t={t_span[0]:g} to "
            f"t={t_span[1]:g}{where}: {result.message} {advice}".rstrip())
    return result


class DenseSolution:
    """``y(t)`` for scalar ``t`` from the dense output (``OdeSolution``) of a forward solve.

    The same values as ``OdeSolution.__call__`` (equal to the last bit: the same floating-point
    operations in the same order), several times faster for the scalar queries of an adjoint
    solve: the segment is found by bisection on a list and the last one is remembered
    (consecutive queries of a backward step fall in the same segment), and the interpolants of
    RK23/RK45 and Radau are evaluated without scipy's generic array handling
    (:func:`_scalar_evaluator`).
    """

    def __init__(self, solution):
        self._ts = [float(t) for t in solution.ts]
        self._interpolants = solution.interpolants
        self._segment = len(self._interpolants) - 1
        self._evaluate = _scalar_evaluator(self._interpolants[-1])

    def step_length(self, t):
        """Length of the forward step that covers ``t``."""
        self(t)
        return self._ts[self._segment + 1] - self._ts[self._segment]

    def __call__(self, t):
        ts, j = self._ts, self._segment
        if not ts[j] <= t <= ts[j + 1]:
            j = min(max(bisect.bisect_left(ts, t) - 1, 0), len(self._interpolants) - 1)
            self._segment = j
            self._evaluate = _scalar_evaluator(self._interpolants[j])
        return self._evaluate(t)


def _scalar_evaluator(interpolant):
    """``t -> interpolant(t)`` for a scalar ``t``, by scipy's own formula where it is known.

    With ``x = (t − t_old)/h`` and ``p = (x, x², ..., x^{k+1})``, the continuous extensions
    (Shampine, Math. Comp. 46(173), 135-150, 1986, for the Runge–Kutta pairs; Hairer & Wanner,
    *Solving Ordinary Differential Equations II*, 2nd ed., Springer 1996, sec. IV.8, for
    Radau IIA) as scipy stores them:

    * RK23, RK45: ``y = h · (Q p) + y_old``;
    * Radau: ``y = Q p + y_old`` (its ``Q`` holds the factor ``h``).

    scipy's ``DenseOutput.__call__`` adds ``np.asarray``, shape checks, ``np.tile`` and
    ``np.cumprod`` around the same products (about 13 µs for RK45 or Radau at d = 31, against
    3-4 µs here). Other interpolants are called as they are: BDF's is already lean (6 µs,
    5 µs by its formula here: not worth a copy), DOP853's and LSODA's are different formulas.
    """
    kind = type(interpolant).__name__
    if kind in ("RkDenseOutput", "RadauDenseOutput"):
        t_old, h, q, y_old = interpolant.t_old, interpolant.h, interpolant.Q, interpolant.y_old
        scaled = kind == "RkDenseOutput"

        def evaluate(t):
            x = (t - t_old) / h
            powers = [x]
            for _ in range(q.shape[1] - 1):
                powers.append(powers[-1] * x)
            y = np.dot(q, np.array(powers))
            return (h * y if scaled else y) + y_old
        return evaluate
    return interpolant
