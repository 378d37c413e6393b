"""Continuous sensitivity methods (forward sensitivities, backsolve and interpolating adjoints).

Claims checked on small deterministic problems:
* each method gives the exact gradient of a linear ODE y' = A(p) y (from the matrix exponential
  and its Fréchet derivative) to about the solver tolerance, with every scipy solver, with
  observations inside the span and at t0;
* each method agrees with central finite differences on Lotka–Volterra to ~1e-6 relative;
* a running cost passed to ``ode.gradient`` is differentiated by every method;
* on a stiff problem the implicit solvers, given the forward engine's Jacobians, are accurate,
  an explicit solver stops at the step limit with an error suggesting an implicit one, and
  backsolve cannot follow the state backward while the interpolating adjoint can;
* the Jacobians supplied to the implicit solvers are those of the systems integrated;
* on the chaotic Lorenz system backsolve drifts (the state solved backward is unstable) while
  the interpolating adjoint stays accurate;
* the adjoint's tolerance scales with the loss: a loss times c gives c times the gradient;
* what makes the interpolating adjoint cheaper changes no bit of it: the tape of ``rhs`` kept
  for evaluations at the same time, the Jacobian by a batched reverse sweep, the fast dense
  output (equal to scipy's); BDF picks its own first step after each jump;
* bad options give clear errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
from scipy.integrate import solve_ivp

import admodes.numpy as anp
from admodes import ode
from admodes.ode import _ivp, continuous, problems
from admodes.ode._rhs_derivatives import linearize, value_and_jvps, value_and_vjp
from admodes.ode.stepping import StepLimitError

METHODS = {
    "forward": continuous.forward_gradient,
    "backsolve": continuous.backsolve_gradient,
    "interpolating": continuous.interpolating_gradient,
}
SOLVERS = ("RK45", "DOP853", "Radau", "BDF", "LSODA")


def rel_err(got, want):
    got, want = np.concatenate(got), np.concatenate(want)
    return np.max(np.abs(got - want)) / np.max(np.abs(want))


# -- a linear ODE with an analytic gradient ----------------------------------------------------

def linear_rhs(t, y, p):
    """y' = A(p) y with A = [[-p0, p1], [-p1, -p2]] (a damped rotation)."""
    return anp.stack([-p[0] * y[0] + p[1] * y[1], -p[1] * y[0] - p[2] * y[1]])


def linear_matrix(p):
    return np.array([[-p[0], p[1]], [-p[1], -p[2]]])


LINEAR_DA = (np.array([[-1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 1.0], [-1.0, 0.0]]),
             np.array([[0.0, 0.0], [0.0, -1.0]]))  # ∂A/∂p_j
WEIGHTS = np.array([[1.0, -2.0], [0.5, 1.0], [2.0, 0.3]])


def linear_loss(ys, p):
    """L = Σ_i c_i · y(t_i) + 0.1 ‖p‖² (needs len(t_obs) == 3)."""
    return anp.sum(ys * WEIGHTS) + 0.1 * anp.sum(p ** 2)


def linear_exact(matrix, d_matrix, y0, p, t_obs):
    """∇L for y(t) = exp(A t) y0: ∂y(t)/∂y0 = exp(At), ∂y(t)/∂p_j = L_exp(At, ∂A/∂p_j t) y0."""
    grad_y0, grad_p = np.zeros_like(y0), 0.2 * p
    for t, c in zip(t_obs, WEIGHTS):
        a = matrix(p) * t
        grad_y0 += scipy.linalg.expm(a).T @ c
        for j, da in enumerate(d_matrix):
            grad_p[j] += c @ (scipy.linalg.expm_frechet(a, da * t)[1] @ y0)
    return grad_y0, grad_p


@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("method", METHODS)
def test_linear_ode_matches_the_analytic_gradient(method, solver):
    y0, p = np.array([1.0, 0.5]), np.array([0.3, 1.2, 0.7])
    t_obs = np.array([0.5, 1.3, 2.0])  # inside the span, which goes on to 2.5
    value, grads = METHODS[method](linear_loss, linear_rhs, y0, p, (0.0, 2.5), t_obs,
                                   rtol=1e-10, atol=1e-10, solver=solver)
    ys = np.stack([scipy.linalg.expm(linear_matrix(p) * t) @ y0 for t in t_obs])
    assert value == pytest.approx(np.sum(ys * WEIGHTS) + 0.1 * np.sum(p ** 2), rel=1e-8)
    assert rel_err(grads, linear_exact(linear_matrix, LINEAR_DA, y0, p, t_obs)) < 2e-8


@pytest.mark.parametrize("method", METHODS)
def test_observation_at_t0_contributes_its_own_jump(method):
    y0, p = np.array([1.0, 0.5]), np.array([0.3, 1.2, 0.7])
    t_obs = np.array([0.0, 0.7, 1.5])
    _, grads = METHODS[method](linear_loss, linear_rhs, y0, p, (0.0, 1.5), t_obs,
                               rtol=1e-10, atol=1e-10)
    assert rel_err(grads, linear_exact(linear_matrix, LINEAR_DA, y0, p, t_obs)) < 2e-8


RUNNING_WEIGHTS = np.array([0.7, -1.1])


def running_integral(y0, p, t_end):
    """∫_0^T c·y dt = c·A⁻¹(exp(AT) − I) y0 for the linear ODE (closed form)."""
    a = linear_matrix(p)
    return RUNNING_WEIGHTS @ np.linalg.solve(a, (scipy.linalg.expm(a * t_end) - np.eye(2)) @ y0)


@pytest.mark.parametrize("method", METHODS)
def test_running_cost_through_the_dispatcher(method):
    """ode.gradient folds ∫ r dt into the state (q' = r) and appends t_end to t_obs; every
    continuous method then gets the running cost's gradient too."""
    y0, p, t_end = np.array([1.0, 0.5]), np.array([0.3, 1.2, 0.7]), 2.5
    t_obs = np.array([0.5, 1.3, 2.0])
    value, grads = ode.gradient(linear_loss, linear_rhs, y0, p, (0.0, t_end), t_obs,
                                method=method, rtol=1e-10, atol=1e-10,
                                running=lambda t, y, q: anp.sum(RUNNING_WEIGHTS * y))
    grad_y0, grad_p = linear_exact(linear_matrix, LINEAR_DA, y0, p, t_obs)
    a = linear_matrix(p)
    grad_y0 = grad_y0 + np.linalg.solve(a, scipy.linalg.expm(a * t_end) - np.eye(2)).T \
        @ RUNNING_WEIGHTS
    h = 1e-6
    grad_p = grad_p + [(running_integral(y0, p + h * e, t_end)
                        - running_integral(y0, p - h * e, t_end)) / (2 * h) for e in np.eye(3)]
    ys = np.stack([scipy.linalg.expm(a * t) @ y0 for t in t_obs])
    expected = np.sum(ys * WEIGHTS) + 0.1 * np.sum(p ** 2) + running_integral(y0, p, t_end)
    assert value == pytest.approx(expected, rel=1e-8)
    assert rel_err(grads, (grad_y0, grad_p)) < 1e-7


# -- Lotka–Volterra against finite differences --------------------------------------------------

@pytest.fixture(scope="module")
def lotka_volterra():
    return problems.lotka_volterra()


@pytest.fixture(scope="module")
def lotka_volterra_fd(lotka_volterra):
    """Central differences (h = 1e-5) of the loss of a DOP853 solve at rtol = atol = 1e-13."""
    prob = lotka_volterra
    d = prob.y0.size

    def loss_of(theta):
        y0, p = theta[:d], theta[d:]
        sol = solve_ivp(lambda t, y: prob.rhs(t, y, p), prob.t_span, y0, t_eval=prob.t_obs,
                        method="DOP853", rtol=1e-13, atol=1e-13)
        return float(prob.loss(sol.y.T, p))

    theta, h = np.concatenate([prob.y0, prob.params]), 1e-5
    steps = h * np.eye(theta.size)
    grad = np.array([(loss_of(theta + e) - loss_of(theta - e)) / (2 * h) for e in steps])
    return grad[:d], grad[d:]


@pytest.mark.parametrize("method", METHODS)
def test_lotka_volterra_matches_finite_differences(method, lotka_volterra, lotka_volterra_fd):
    prob = lotka_volterra
    _, grads = METHODS[method](prob.loss, prob.rhs, prob.y0, prob.params, prob.t_span,
                               prob.t_obs, rtol=1e-10, atol=1e-10, solver="DOP853")
    assert rel_err(grads, lotka_volterra_fd) < 1e-6


def test_solve_matches_a_tight_reference(lotka_volterra):
    prob = lotka_volterra
    ys = continuous.solve(prob.rhs, prob.y0, prob.params, prob.t_span, prob.t_obs,
                          rtol=1e-10, atol=1e-10, solver="DOP853")
    ref = solve_ivp(lambda t, y: prob.rhs(t, y, prob.params), prob.t_span, prob.y0,
                    t_eval=prob.t_obs, method="DOP853", rtol=1e-13, atol=1e-13).y.T
    assert ys.shape == (prob.t_obs.size, prob.y0.size)
    np.testing.assert_allclose(ys, ref, rtol=1e-8, atol=1e-9)


def test_loss_scaling_scales_the_adjoint_exactly(lotka_volterra):
    """atol of the adjoint is relative to ∂L/∂y, so the steps do not depend on the loss units."""
    prob = lotka_volterra

    def scaled(ys, p):
        return 1000.0 * prob.loss(ys, p)

    for method in ("backsolve", "interpolating"):
        args = (prob.rhs, prob.y0, prob.params, prob.t_span, prob.t_obs)
        _, base = METHODS[method](prob.loss, *args, rtol=1e-6, atol=1e-6)
        _, big = METHODS[method](scaled, *args, rtol=1e-6, atol=1e-6)
        assert rel_err(big, [1000.0 * g for g in base]) < 1e-12


# -- stiff problems and the supplied Jacobians ---------------------------------------------------

def stiff_rhs(t, y, p):
    """y' = A(p) y with A = [[-p0, p1], [0, -p2]]: eigenvalues -1000 and -1 (stiff)."""
    return anp.stack([-p[0] * y[0] + p[1] * y[1], -p[2] * y[1]])


def stiff_matrix(p):
    return np.array([[-p[0], p[1]], [0.0, -p[2]]])


STIFF_DA = (np.array([[-1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 1.0], [0.0, 0.0]]),
            np.array([[0.0, 0.0], [0.0, -1.0]]))
STIFF_P = np.array([1000.0, 50.0, 1.0])


@pytest.mark.parametrize("solver", ("Radau", "BDF"))
@pytest.mark.parametrize("method", ("forward", "interpolating"))
def test_stiff_problem_with_implicit_solvers(method, solver):
    y0, t_obs = np.array([1.0, 2.0]), np.array([0.5, 1.0, 2.0])
    _, grads = METHODS[method](linear_loss, stiff_rhs, y0, STIFF_P, (0.0, 2.0), t_obs,
                               rtol=1e-9, atol=1e-9, solver=solver)
    assert rel_err(grads, linear_exact(stiff_matrix, STIFF_DA, y0, STIFF_P, t_obs)) < 1e-6


def test_backsolve_cannot_follow_a_stiff_problem_backward():
    """Backward in time the fast mode exp(-1000 t) grows like exp(1000 t): the backsolve system
    exhausts 300 BDF steps within the first observation interval, while the interpolating
    adjoint (the state read from the forward solve) finishes within the same budget.
    """
    y0, t_obs = np.array([1.0, 2.0]), np.array([0.5, 1.0, 2.0])
    args = (linear_loss, stiff_rhs, y0, STIFF_P, (0.0, 2.0), t_obs)
    options = {"rtol": 1e-9, "atol": 1e-9, "solver": "BDF", "max_steps": 300}
    with pytest.raises(StepLimitError, match=r"state and adjoint backward from t=2 to t=1 .*"
                                             r"use method='interpolating'"):
        continuous.backsolve_gradient(*args, **options)
    _, grads = continuous.interpolating_gradient(*args, **options)
    assert rel_err(grads, linear_exact(stiff_matrix, STIFF_DA, y0, STIFF_P, t_obs)) < 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_explicit_solver_on_stiff_problem_hits_the_step_limit(method):
    y0, t_obs = np.array([1.0, 2.0]), np.array([0.5, 1.0, 2.0])
    with pytest.raises(StepLimitError, match=r"max_steps=50.*implicit solver.*'Radau'"):
        METHODS[method](linear_loss, stiff_rhs, y0, STIFF_P, (0.0, 2.0), t_obs,
                        rtol=1e-6, atol=1e-6, solver="RK45", max_steps=50)


def numeric_jacobian(fun, t, z, h=1e-6):
    return np.stack([(fun(t, z + h * e) - fun(t, z - h * e)) / (2 * h)
                     for e in np.eye(z.size)], axis=1)


def dense(matrix):
    return matrix.toarray() if scipy.sparse.issparse(matrix) else matrix


@pytest.mark.parametrize("solver", ("Radau", "LSODA"))
def test_supplied_jacobians_are_those_of_the_adjoint_systems(solver, lotka_volterra):
    prob, rng = lotka_volterra, np.random.default_rng(0)
    d, m = prob.y0.size, prob.params.size
    t = 0.7
    z = np.concatenate([prob.y0, rng.standard_normal(d + m)])
    fun, jac = continuous.backsolve_system(prob.rhs, prob.params, d, solver)
    np.testing.assert_allclose(dense(jac(t, z)), numeric_jacobian(fun, t, z), atol=1e-7)

    def state(s):
        return prob.y0 * (1.0 + s)

    fun, jac = continuous.interpolating_system(prob.rhs, prob.params, state, d, solver)
    w = z[d:]
    np.testing.assert_allclose(dense(jac(t, w)), numeric_jacobian(fun, t, w), atol=1e-7)


def test_forward_system_newton_matrix_is_the_block_diagonal_of_its_jacobian(lotka_volterra):
    """The simultaneous corrector's matrix: the d × d diagonal blocks of the exact Jacobian."""
    prob = lotka_volterra
    d, k = prob.y0.size, prob.y0.size + prob.params.size
    z = np.concatenate([prob.y0, np.random.default_rng(1).standard_normal(k * d)])
    fun, jac = continuous.forward_system(prob.rhs, prob.params, d, "BDF")
    exact, newton = numeric_jacobian(fun, 0.3, z), dense(jac(0.3, z))
    for b in range(k + 1):
        block = slice(b * d, (b + 1) * d)
        np.testing.assert_allclose(newton[block, block], exact[block, block], atol=1e-7)
    mask = np.kron(np.eye(k + 1), np.ones((d, d))) == 0
    assert np.all(newton[mask] == 0)


def test_rhs_derivatives_against_each_other(lotka_volterra):
    """VJPs (reverse), batched JVPs (forward) and Jacobians (a batched reverse sweep) of the
    same rhs agree: ⟨λ, J v⟩; the forward Jacobian is the batched JVP of the unit vectors."""
    prob, rng = lotka_volterra, np.random.default_rng(2)
    y, p = prob.y0 + 0.3, prob.params
    _, pullback = linearize(lambda u, q: prob.rhs(0.0, u, q), y, p)
    jac_y, jac_p = pullback(np.eye(y.size), batched=True)  # the rows of [J_y, J_p]
    assert jac_y.shape == (y.size, y.size) and jac_p.shape == (y.size, p.size)
    lam = rng.standard_normal(y.size)
    f, vjp_y, vjp_p = value_and_vjp(prob.rhs, 0.0, y, p, lam)
    np.testing.assert_allclose(f, prob.rhs(0.0, y, p))
    np.testing.assert_allclose(vjp_y, jac_y.T @ lam, rtol=1e-14)
    np.testing.assert_allclose(vjp_p, jac_p.T @ lam, rtol=1e-14)
    ty, tp = rng.standard_normal((3, y.size)), rng.standard_normal((3, p.size))
    _, tangents = value_and_jvps(prob.rhs, 0.0, y, p, ty, tp)
    np.testing.assert_allclose(tangents, ty @ jac_y.T + tp @ jac_p.T, rtol=1e-14)
    d, k = y.size, y.size + p.size
    _, forward = value_and_jvps(prob.rhs, 0.0, y, p, np.eye(k, d), np.eye(k, p.size, -d))
    np.testing.assert_allclose(forward.T, np.concatenate((jac_y, jac_p), axis=1), rtol=1e-14)


# -- what makes the interpolating adjoint cheaper leaves its result unchanged --------------------

def test_interpolating_system_records_one_tape_per_time(lotka_volterra):
    """Evaluations at a recent time sweep the kept tape again: the same bits as a fresh tape,
    and ``rhs`` runs once per time while it is among the last ``_KEPT_TAPES`` (the Jacobian
    included)."""
    prob, rng = lotka_volterra, np.random.default_rng(3)
    d, m = prob.y0.size, prob.params.size
    times = []

    def rhs(t, y, p):
        times.append(t)
        return prob.rhs(t, y, p)

    def state(s):
        return prob.y0 * (1.0 + s)

    fun, jac = continuous.interpolating_system(rhs, prob.params, state, d, "BDF")
    distinct = [0.1 * (i + 1) for i in range(continuous._KEPT_TAPES + 1)]
    # each time twice, then back to one kept time and to the first one, which was dropped
    for t in (*np.repeat(distinct, 2), distinct[2], distinct[0]):
        w = rng.standard_normal(d + m)
        _, vjp_y, vjp_p = value_and_vjp(prob.rhs, t, state(t), prob.params, w[:d])
        assert np.array_equal(fun(t, w), -np.concatenate((vjp_y, vjp_p)))
    jac(distinct[0], w)
    assert times == [*distinct, distinct[0]]
    np.testing.assert_allclose(dense(jac(0.3, w)), numeric_jacobian(fun, 0.3, w), atol=1e-7)


@pytest.mark.parametrize(("name", "solver"), [("neural_ode", "RK45"), ("heat", "BDF"),
                                            ("heat", "Radau")])
def test_kept_tape_gives_the_same_gradient_as_a_fresh_one(name, solver, monkeypatch):
    """The whole interpolating gradient, bit for bit, against a system that records a new tape
    for every evaluation."""
    prob = problems.neural_ode(dim=4, seed=2) if name == "neural_ode" else problems.heat(12)
    args = (prob.loss, prob.rhs, prob.y0, prob.params, prob.t_span, prob.t_obs)
    _, kept = continuous.interpolating_gradient(*args, rtol=1e-6, atol=1e-6, solver=solver)
    system = continuous.interpolating_system

    def fresh_system(*system_args):
        return (lambda t, w: system(*system_args)[0](t, w),
                lambda t, w: system(*system_args)[1](t, w))

    monkeypatch.setattr(continuous, "interpolating_system", fresh_system)
    _, fresh = continuous.interpolating_gradient(*args, rtol=1e-6, atol=1e-6, solver=solver)
    for got, want in zip(kept, fresh):
        assert np.array_equal(got, want)


@pytest.mark.parametrize("solver", ("RK23", *SOLVERS))
def test_dense_solution_equals_scipys_dense_output(solver, lotka_volterra):
    """DenseSolution evaluates RK23/RK45 and Radau by scipy's formula: the same bits as
    ``OdeSolution`` inside each step, and at the step ends equal to rounding (either of the two
    adjacent steps may be used there), for queries backward, forward and in random order."""
    prob = lotka_volterra
    sol = solve_ivp(lambda t, y: prob.rhs(t, y, prob.params), prob.t_span, prob.y0,
                    method=solver, dense_output=True, rtol=1e-6, atol=1e-6).sol
    solution = _ivp.DenseSolution(sol)
    inside = np.random.default_rng(4).uniform(*prob.t_span, 60)
    for t in (*np.sort(inside)[::-1], *np.sort(inside), *inside):
        assert np.array_equal(solution(t), sol(t))
    for t in sol.ts:
        np.testing.assert_allclose(solution(t), sol(t), rtol=1e-14, atol=1e-14)
    assert solution.step_length(sol.ts[1] / 2) == sol.ts[1] - sol.ts[0]


def test_bdf_picks_its_own_first_step_after_each_jump(monkeypatch):
    """The backward intervals start with the carried step (RK45, Radau) or, for BDF, which
    restarts at order 1 after a jump, with solve_ivp's own first step."""
    prob = problems.heat(8)
    first_steps = {}
    integrate = continuous.integrate

    def recording(*args, first_step=None, **kwargs):
        if kwargs["what"] == "adjoint backward":
            first_steps.setdefault(kwargs["solver"], []).append(first_step)
        return integrate(*args, first_step=first_step, **kwargs)

    monkeypatch.setattr(continuous, "integrate", recording)
    args = (prob.loss, prob.rhs, prob.y0, prob.params, prob.t_span, prob.t_obs)
    for solver in ("RK45", "Radau", "BDF"):
        continuous.interpolating_gradient(*args, rtol=1e-4, atol=1e-4, solver=solver)
    assert len(first_steps["BDF"]) == prob.t_obs.size and set(first_steps["BDF"]) == {None}
    for solver in ("RK45", "Radau"):
        assert all(step > 0 for step in first_steps[solver])


# -- backsolve drifts on a chaotic problem ------------------------------------------------------

def test_backsolve_drifts_on_lorenz_while_interpolating_does_not():
    """Lorenz on [0, 2]: the state solved backward leaves the attractor's contracting direction
    (growth ≈ exp(14.6 t) backward), so backsolve's gradient is wrong by O(1); the interpolating
    adjoint reads y(t) from the forward solve and matches the forward-sensitivity reference.
    """
    prob = problems.lorenz(t_end=2.0)
    args = (prob.loss, prob.rhs, prob.y0, prob.params, prob.t_span, prob.t_obs)
    _, reference = continuous.forward_gradient(*args, rtol=1e-11, atol=1e-11, solver="DOP853")
    _, interpolating = continuous.interpolating_gradient(*args, rtol=1e-8, atol=1e-8)
    _, backsolve = continuous.backsolve_gradient(*args, rtol=1e-8, atol=1e-8)
    assert rel_err(interpolating, reference) < 1e-4
    assert rel_err(backsolve, reference) > 0.1


# -- errors --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_admodes_solver_name_is_refused_with_the_scipy_names(method):
    with pytest.raises(ValueError, match=r"solver must be one of .*'RK45'.*got 'dopri5'"):
        METHODS[method](linear_loss, linear_rhs, np.ones(2), np.ones(3), (0.0, 1.0),
                        np.array([0.2, 0.5, 1.0]), rtol=1e-6, atol=1e-6, solver="dopri5")


def test_unknown_option_and_bad_max_steps_are_refused():
    args = (linear_loss, linear_rhs, np.ones(2), np.ones(3), (0.0, 1.0),
            np.array([0.2, 0.5, 1.0]))
    with pytest.raises(TypeError, match=r"unexpected option\(s\) \['checkpoints'\]"):
        continuous.interpolating_gradient(*args, rtol=1e-6, atol=1e-6, checkpoints=4)
    with pytest.raises(ValueError, match=r"max_steps must be a positive int, got 0"):
        continuous.backsolve_gradient(*args, rtol=1e-6, atol=1e-6, max_steps=0)


def test_solver_failure_is_reported_with_its_context():
    """y' = y², y(0) = 1 blows up at t = 1: solve_ivp's step size underflows before t = 2."""
    def blow_up(t, y, p):
        return p * y ** 2

    with pytest.raises(StepLimitError, match=r"failed integrating the state from t=0 to "
                                                r"t=2: Required step size is less than"):
        continuous.interpolating_gradient(lambda ys, p: anp.sum(ys), blow_up, np.ones(1),
                                          np.ones(1), (0.0, 2.0), np.array([2.0]),
                                          rtol=1e-6, atol=1e-6)
