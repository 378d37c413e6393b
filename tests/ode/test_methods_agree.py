"""Every gradient method on every model problem, against a reference and finite differences.

The reference is the discrete adjoint of dopri5 at rtol = atol = 1e-12 (the stiff problems:
forward sensitivities with Radau at 1e-12). Stated tolerances, as the relative error of the whole
gradient (y0 and params) at the solver tolerance given:

================== ========================== ===================== ======================
method             non-stiff (rtol = 1e-10)   stiff (rtol = 1e-8)   why
================== ========================== ===================== ======================
forward            DOP853, 1e-5               Radau, 1e-6           error follows the tol
interpolating      DOP853, 1e-5               Radau, 1e-6           error follows the tol
backsolve          DOP853, 1e-5               not run               unstable when stiff
discrete           dopri5, 1e-6               rodas4, 1e-6          error follows the tol
discrete           not run                    rosenbrock, 1e-3      rosenbrock is order 2
finite_difference  dopri5, 1e-5               Radau, 1e-5           truncation + rounding
================== ========================== ===================== ======================

Backsolve fails on the stiff problems by design (the ode_adjoint experiment shows it); the
Rosenbrock methods are for the stiff problems (dopri5 covers the others).
"""

from __future__ import annotations

import numpy as np
import pytest

from admodes import ode

PROBLEMS = {
    "lotka_volterra": ode.problems.lotka_volterra,
    "damped_pendulum": ode.problems.damped_pendulum,
    "heat": lambda: ode.problems.heat(6),
    "van_der_pol": lambda: ode.problems.van_der_pol(mu=5.0),
    "van_der_pol_stiff": lambda: ode.problems.van_der_pol(mu=100.0),
    "lorenz": lambda: ode.problems.lorenz(t_end=0.5),
    "neural_ode": lambda: ode.problems.neural_ode(dim=4, seed=1),
}
STIFF = ("heat", "van_der_pol_stiff")
METHODS = {  # row -> (method, (solver, tolerance) non-stiff, (solver, tolerance) stiff)
    "forward": ("forward", ("DOP853", 1e-5), ("Radau", 1e-6)),
    "interpolating": ("interpolating", ("DOP853", 1e-5), ("Radau", 1e-6)),
    "backsolve": ("backsolve", ("DOP853", 1e-5), (None, "it is unstable on stiff problems")),
    "discrete": ("discrete", ("dopri5", 1e-6), ("rodas4", 1e-6)),
    "discrete_rosenbrock": ("discrete", (None, "it is for stiff problems"), ("rosenbrock", 1e-3)),
    "finite_difference": ("finite_difference", ("dopri5", 1e-5), ("Radau", 1e-5)),
}
SOLVER_TOL = {False: 1e-10, True: 1e-8}


def _args(problem):
    return (problem.loss, problem.rhs, problem.y0, problem.params, problem.t_span,
            problem.t_obs)


@pytest.fixture(scope="module")
def references():
    cache = {}

    def reference(name):
        if name not in cache:
            problem = PROBLEMS[name]()
            method, solver = ("forward", "Radau") if name in STIFF else ("discrete", "dopri5")
            value, grads = ode.gradient(*_args(problem), method=method, solver=solver,
                                        rtol=1e-12, atol=1e-12)
            cache[name] = problem, value, np.concatenate(grads)
        return cache[name]
    return reference


@pytest.mark.parametrize("row", METHODS)
@pytest.mark.parametrize("name", PROBLEMS)
def test_method_agrees_with_the_reference(name, row, references):
    problem, value, reference = references(name)
    stiff = name in STIFF
    method, *cases = METHODS[row]
    solver, tol = cases[stiff]
    if solver is None:
        pytest.skip(f"{row} is not run on {name}: {tol}")
    rtol = SOLVER_TOL[stiff]
    got_value, grads = ode.gradient(*_args(problem), method=method, solver=solver, rtol=rtol,
                                    atol=rtol)
    got = np.concatenate(grads)
    assert got.shape == reference.shape
    assert np.isclose(got_value, value, rtol=tol)
    error = np.linalg.norm(got - reference) / np.linalg.norm(reference)
    assert error < tol, f"{method} ({solver}) on {name}: relative error {error:.2e} > {tol:g}"
