r"""Continuous sensitivity methods: forward sensitivities and continuous adjoints via solve_ivp.

What: the gradient of ``L(y(t_1), ..., y(t_N), p)`` with respect to the initial state ``y0``
(d entries) and the parameters ``p`` (m entries) of ``dy/dt = f(t, y, p)``, computed by
differentiating the ODE itself (differentiate-then-discretize) and integrating the resulting
sensitivity ODEs with ``scipy.integrate.solve_ivp``. Synonyms: continuous sensitivity
analysis, optimize-then-discretize, the adjoint-state method, the adjoint of Pontryagin's
maximum principle.

Three methods (entry points called by :func:`admodes.ode.gradient`, which validates the inputs
and folds a running cost into the state):

``forward_gradient`` (forward sensitivities)
    ``S(t) = ∂y(t)/∂(y0, p)`` (d × (d + m)) solves ``S' = J_y S + [0, J_p]``, ``S(t0) = [I, 0]``,
    alongside ``y``; then ``∇L = Σ_i S(t_i)ᵀ ∂L/∂y_i + [0, ∂L/∂p]``. The products come from the
    forward engine in vector mode: one pass of ``f`` pushes all d + m columns of ``S``. Cost
    grows like (d + m) × one solve; wins when d + m is small (Maly & Petzold 1996).
``backsolve_gradient`` (continuous adjoint, backsolve)
    With ``λ(t) = ∂L/∂y(t)`` and ``μ(t) = ∫_t^{t_N} J_pᵀ λ ds``, integrate backward in time from
    ``t_N`` to ``t0`` the system ``y' = f``, ``λ' = −J_yᵀ λ``, ``μ' = −J_pᵀ λ``, starting from
    ``y(t_N)``, ``λ(t_N) = ∂L/∂y_N``, ``μ = 0``, with the jump ``λ += ∂L/∂y_i`` at each
    observation time. Then ``∇_{y0} L = λ(t0)`` and ``∇_p L = μ(t0) + ∂L/∂p``. Each evaluation
    is one tape of ``f`` and one reverse sweep (``J_yᵀ λ`` and ``J_pᵀ λ`` together). Memory is
    constant in the number of steps, but solving the state backward is unstable where the
    forward problem is stiff or chaotic (a contracting direction forward expands backward), and
    the reconstructed ``y`` drifts away from the forward solution (Ma et al. 2021).
``interpolating_gradient`` (continuous adjoint, interpolating)
    The same adjoint, but ``y(t)`` on the way back is read from the dense output of the forward
    solve, so only ``[λ, μ]`` is integrated backward: stable where backsolve is not, at the
    price of storing the forward solution (memory grows with the number of forward steps).

All three cost O(steps) evaluations of ``f`` or of one of its derivatives; the adjoints' cost
does not grow with m, forward sensitivities' does (issue #5 compares them).

Solvers (``solver=``): ``"RK45"`` (default), ``"RK23"``, ``"DOP853"`` (explicit) and
``"Radau"``, ``"BDF"``, ``"LSODA"`` (implicit, for stiff problems). The implicit solvers get the
Jacobian of the system they integrate from the forward engine instead of finite differences:

* the state: ``J_y`` (vector-mode forward pass with d directions);
* the interpolating adjoint ``[λ, μ]``: exactly ``[[−J_yᵀ, 0], [−J_pᵀ, 0]]`` (the system is
  linear), by one reverse sweep of the d unit cotangents as a batch, sparse for Radau and BDF;
* the backsolve system ``[y, λ, μ]``: exactly, by forward-over-reverse (2d directions pushed
  through the reverse sweep of ``f``); the second-derivative block ``−∂(J_yᵀ λ)/∂y`` included;
* the forward sensitivities ``[y, S]``: the block-diagonal Newton matrix ``I ⊗ J_y`` of the
  simultaneous corrector (Maly & Petzold 1996; Serban & Hindmarsh 2005), which drops the
  second-derivative coupling ``∂(J_y S)/∂y``; this changes the Newton iteration only, not the
  solution it converges to.

Tolerances. The state, and the forward sensitivities, use the given ``rtol`` and ``atol``. The
adjoint ``[λ, μ]`` scales with the loss, so its absolute tolerance is ``atol · s`` with ``s``
the largest ``|∂L/∂y_i|`` over the observations (``s = 1`` if they are all zero): then the
adjoint's steps do not depend on the units of the loss (a loss times c gives exactly c times
the gradient), and ``atol`` keeps its meaning relative to the adjoint's size. ``μ`` takes part
in the error control (the full norm): leaving it out (a seminorm, Kidger et al. 2021) saved no
steps on the neural ODE and heat problems of :mod:`admodes.ode.problems`.

Observations. ``λ`` jumps at every observation time, so the backward solve is one
``solve_ivp`` call per interval between observations, each needing at least one step (RK45:
6 VJPs, plus one after the jump) even when the forward solve steps over several observations
at once; the step size is carried from one interval to the next (:func:`_sweep_back`). With many
observations the adjoints therefore cost more relative to the plain solve than with one.

Cost of the interpolating adjoint. One evaluation is one reverse sweep of the tape of ``f`` at
``(t, y(t), p)``, and the tape is recorded once per distinct ``t`` (:func:`interpolating_system`);
``y(t)`` comes from :class:`~admodes.ode._ivp.DenseSolution`. Measured (one BLAS thread,
rtol = atol = 1e-6, gradient time / plain-solve time with the same solver, medians on a
shared 2-core machine): the neural ODE of dim 31 (p = 992, RK45) from 12.9 to 9.2-10 (tapes
reused per ``t``, then the plain-array rules of :mod:`admodes.plain`); the heat equation
n = 300 from 13.0 to 8.5-9.3 with BDF and from 6.7 to 4.2-5.5 with Radau. What remains is the
engine's overhead per recorded and per swept op (about 4 µs each; per evaluation a 23 µs tape
and a 26 µs sweep of 6 ops on the neural ODE, 51 tapes and 70 sweeps in all, against 32 plain
evaluations of 6 µs for the solve; on an Intel host with the collector deferred while taping,
17 and 16 µs, plus 4.7 µs for ``y(t)``). The floor without the engine: with the adjoint's
right-hand side replaced by one precomputed 1023 × 31 matrix-vector product, the gradient
still takes 4.6 times the plain solve (the dense forward solve, and solve_ivp's RK45 on the
1023 components over the 11 intervals between observations: about 60 µs per step of its own
and 15 µs per call), so ≤ 6 times leaves about 10 µs per evaluation for the tape and the
sweep. On the heat equation, scipy's BDF: about 750 backward
steps (white-noise jumps of λ excite the stiff modes, and BDF restarts at order 1 after each)
against about 70 forward ones, at about 230 µs of scipy's own work per step, which alone is 4.6
times the plain solve. A quadrature adjoint (integrate only ``λ`` implicitly,
``μ = ∫ J_pᵀ λ dt`` by quadrature on the dense outputs; Ma et al. 2021) was measured and not
adopted: on the heat equation its BDF solve of ``λ`` alone took 783 steps and 310 ms against
760 steps and 330 ms for ``[λ, μ]``, and its Radau solve as many evaluations of ``f`` (2 789
against 2 747; the Newton iterations do not drop) in 396 ms against 463 ms, before the
quadrature's own three sweeps per step.

``max_steps=`` (default 10 000) bounds the accepted steps of each ``solve_ivp`` call; beyond
it a :class:`~admodes.ode.stepping.StepLimitError` suggests an implicit solver (so does a
failure of ``solve_ivp``, e.g. a step size underflow).

References
----------
Pontryagin, Boltyanskii, Gamkrelidze & Mishchenko (1962). The Mathematical Theory of Optimal
Processes. Interscience. (The adjoint equations.)
Maly, T. & Petzold, L. R. (1996). Numerical methods and software for sensitivity analysis of
differential-algebraic systems. Applied Numerical Mathematics 20(1-2), 57-79.
doi:10.1016/0168-9274(95)00117-4
Cao, Y., Li, S., Petzold, L. & Serban, R. (2003). Adjoint sensitivity analysis for
differential-algebraic equations: the adjoint DAE system and its numerical solution. SIAM J.
Sci. Comput. 24(3), 1076-1089. doi:10.1137/S1064827501380630
Serban, R. & Hindmarsh, A. C. (2005). CVODES: the sensitivity-enabled ODE solver in SUNDIALS.
Proc. ASME IDETC/CIE 2005, 257-269. doi:10.1115/DETC2005-85597
Chen, R. T. Q., Rubanova, Y., Bettencourt, J. & Duvenaud, D. (2018). Neural ordinary
differential equations. NeurIPS 31. arXiv:1806.07366
Kidger, P., Chen, R. T. Q. & Lyons, T. (2021). "Hey, that's not an ODE": faster ODE adjoints
via seminorms. ICML. arXiv:2009.09457
Ma, Y., Dixit, V., Innes, M. J., Guo, X. & Rackauckas, C. (2021). A comparison of automatic
differentiation and continuous sensitivity analysis for derivatives of differential equation
solutions. IEEE HPEC. arXiv:1812.01892
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

import admodes as ad
from admodes.forward import Dual, ForwardTrace
from admodes.ode._ivp import (
    SCIPY_SOLVERS,
    DenseSolution,
    check_max_steps,
    check_solver,
    integrate,
)
from admodes.ode._rhs_derivatives import linearize, value_and_jvps, value_and_vjp

__all__ = [
    "backsolve_gradient",
    "backsolve_system",
    "forward_gradient",
    "forward_system",
    "interpolating_gradient",
    "interpolating_system",
    "solve",
]

DEFAULT_SOLVER = "RK45"
DEFAULT_MAX_STEPS = 10_000
_STEP_GROWTH = 5.0  # bound on the first step of a backward interval, see _sweep_back
_KEPT_TAPES = 4  # Radau's three stage times and one more, see interpolating_system
_BACKSOLVE_HINT = ("Backsolve integrates the state backward in time, which is unstable on stiff "
                   "and chaotic problems: use method='interpolating' (with an implicit solver "
                   "if the problem is stiff)")


# -- shared pieces ---------------------------------------------------------------------------

def _settings(options, method):
    """``(solver, max_steps)`` from the method's keyword options; unknown ones are an error."""
    unknown = sorted(set(options) - {"solver", "max_steps"})
    if unknown:
        raise TypeError(f"method={method!r} got unexpected option(s) {unknown}; it accepts "
                        f"solver= (one of {SCIPY_SOLVERS}) and max_steps=")
    solver = check_solver(options.get("solver", DEFAULT_SOLVER), method)
    return solver, check_max_steps(options.get("max_steps", DEFAULT_MAX_STEPS))


def _state_fun(rhs, params):
    def fun(t, y):
        return rhs(t, y, params)
    return fun


def _state_jac(rhs, params):
    """``J_y(t, y)`` (d × d) for the implicit solvers of the state."""
    def jac(t, y):
        return value_and_jvps(rhs, t, y, params, np.eye(y.shape[0]), None)[1].T
    return jac


def _solve_state(rhs, y0, params, t0, t_obs, solver, rtol, atol, max_steps, dense_output):
    """The state at ``t_obs`` (N × d) and, if ``dense_output``, the dense solution ``y(t)``."""
    if t_obs[-1] == t0:  # every observation at t0: nothing to integrate
        return np.repeat(y0[None], len(t_obs), axis=0), None
    result = integrate(_state_fun(rhs, params), (t0, t_obs[-1]), y0, solver=solver, rtol=rtol,
                       atol=atol, max_steps=max_steps, what="state",
                       jac=_state_jac(rhs, params), t_eval=t_obs, dense_output=dense_output)
    return result.y.T, DenseSolution(result.sol) if dense_output else None


def _loss_and_gradients(loss, ys, params):
    """``(L, ∂L/∂ys, ∂L/∂p)`` by the reverse engine."""
    value, (grad_ys, grad_p) = ad.value_and_grad(loss, argnums=(0, 1))(ys, params)
    return float(value), np.asarray(grad_ys, dtype=float), np.asarray(grad_p, dtype=float)


def _adjoint_atol(atol, grad_ys):
    """Absolute tolerance of ``[λ, μ]``: ``atol`` times the size of the adjoint's jumps."""
    scale = float(np.max(np.abs(grad_ys), initial=0.0))
    return atol * (scale if scale > 0.0 else 1.0)


def solve(rhs, y0, params, t_span, t_obs, *, rtol=1e-8, atol=1e-8, **options):
    """The plain solve ``y(t_obs)`` (N × d) with ``solve_ivp`` (``solver=``, ``max_steps=``).

    The same state solve the three gradient methods start from; it integrates from
    ``t_span[0]`` to the last observation time. Inputs as for :func:`forward_gradient`.
    """
    solver, max_steps = _settings(options, "solve")
    ys, _ = _solve_state(rhs, y0, params, t_span[0], t_obs, solver, rtol, atol, max_steps,
                         dense_output=False)
    return ys


# -- the systems integrated, as (fun, jac) pairs for solve_ivp ---------------------------------

def _sparse_or_dense(matrix, solver):
    """LSODA takes dense Jacobians only; Radau and BDF factorize sparse ones faster."""
    if solver == "LSODA":
        return matrix.toarray() if scipy.sparse.issparse(matrix) else matrix
    return scipy.sparse.csc_matrix(matrix)


def forward_system(rhs, params, d, solver):
    """``(fun, jac)`` of the forward sensitivity system ``z = [y, Sᵀ]``, k = d + m rows of ``Sᵀ``.

    ``fun(t, z) = [f, (J_y S + [0, J_p])ᵀ]`` by one forward pass with k tangents; ``jac`` the
    simultaneous-corrector Newton matrix ``I_{k+1} ⊗ J_y`` (block diagonal, see the module
    docstring).
    """
    m = params.shape[0]
    k = d + m
    seed_p = np.eye(k, m, -d)  # rows d.. of the identity: the directions of p
    state_jac = _state_jac(rhs, params)

    def fun(t, z):
        f, tangents = value_and_jvps(rhs, t, z[:d], params, z[d:].reshape(k, d), seed_p)
        return np.concatenate((f, tangents.ravel()))

    def jac(t, z):
        blocks = scipy.sparse.kron(scipy.sparse.eye(k + 1), state_jac(t, z[:d]), format="csc")
        return _sparse_or_dense(blocks, solver)

    return fun, jac


def backsolve_system(rhs, params, d, solver):
    """``(fun, jac)`` of the backsolve system ``z = [y, λ, μ]``: ``[f, −J_yᵀ λ, −J_pᵀ λ]``.

    ``fun``: one tape of ``f`` and one reverse sweep. ``jac``: exact, by forward-over-reverse
    (the 2d unit directions of ``(y, λ)`` pushed through the sweep; the ``μ`` columns are zero).
    """
    m = params.shape[0]
    seeds = np.eye(2 * d)

    def fun(t, z):
        f, vjp_y, vjp_p = value_and_vjp(rhs, t, z[:d], params, z[d:2 * d])
        return np.concatenate((f, -vjp_y, -vjp_p))

    def jac(t, z):
        with ForwardTrace() as trace:
            outs = value_and_vjp(rhs, t, Dual(z[:d], seeds[:, :d], trace), params,
                                 Dual(z[d:2 * d], seeds[:, d:], trace))
        f, vjp_y, vjp_p = (_tangent_columns(o, trace, 2 * d) for o in outs)
        dense = np.zeros((2 * d + m, 2 * d + m))
        dense[:, :2 * d] = np.concatenate((f, -vjp_y, -vjp_p))
        return _sparse_or_dense(dense, solver)

    return fun, jac


def _tangent_columns(x, trace, k):
    """∂x/∂(the k seeded directions), shape (len(x), k); zeros if x does not depend on them."""
    if isinstance(x, Dual) and x._trace is trace:
        return x.tangent.T
    return np.zeros((np.shape(x)[0], k))


def interpolating_system(rhs, params, state, d, solver):
    """``(fun, jac)`` of the adjoint ``w = [λ, μ]`` along the stored state ``y(t) = state(t)``.

    ``fun(t, w) = [−J_yᵀ λ, −J_pᵀ λ]`` (one reverse sweep); ``jac``: exactly
    ``[[−J_yᵀ, 0], [−J_pᵀ, 0]]`` (the system is linear), from one sweep of the d unit
    cotangents as a batch (``[J_y, J_p]`` row by row; a forward pass would need d + m
    directions).

    The system is linear in ``w`` and its coefficients depend on ``t`` alone (through
    ``y(t)``), so the tape of ``f`` at ``(t, y(t), p)`` is recorded once per distinct ``t`` and
    swept again for every evaluation at that ``t`` (the tapes of the last ``_KEPT_TAPES``
    times are kept). Repeated times are the rule: RK45's sixth stage and its
    first-same-as-last evaluation are both at ``t + h``, a backward interval starts at the
    time the previous one ended, each Newton iteration of BDF evaluates at ``t + h`` and each
    of Radau at its three stage times, and the Jacobians at one of these. Measured
    (rtol = atol = 1e-6): 51 tapes for 70 evaluations on the neural ODE (dim 31, RK45).
    """
    m = params.shape[0]
    tapes = {}  # t -> pullback of f at (t, state(t), params), oldest first

    def pullback_at(t):
        if t not in tapes:
            if len(tapes) == _KEPT_TAPES:
                del tapes[next(iter(tapes))]
            tapes[t] = linearize(lambda u, q: rhs(t, u, q), state(t), params)[1]
        return tapes[t]

    def fun(t, w):
        vjp_y, vjp_p = pullback_at(t)(w[:d])
        return -np.concatenate((vjp_y, vjp_p))

    def jac(t, w):
        jac_y, jac_p = pullback_at(t)(np.eye(d), batched=True)
        left = -np.concatenate((jac_y.T, jac_p.T))
        if solver == "LSODA":  # dense Jacobians only
            return np.concatenate((left, np.zeros((d + m, m))), axis=1)
        full = scipy.sparse.csc_matrix(left)
        full.resize((d + m, d + m))  # m zero columns: indptr extended, no copy of the data
        return full

    return fun, jac


# -- the three methods -----------------------------------------------------------------------

def forward_gradient(loss, rhs, y0, params, t_span, t_obs, *, rtol, atol, **options):
    """Gradient by the forward sensitivity equations; see the module docstring.

    Parameters
    ----------
    loss : callable
        ``loss(ys, params) -> scalar`` with ``ys`` of shape (N, d), written with admodes.numpy.
    rhs : callable
        ``rhs(t, y, params) -> dy/dt`` (shape (d,)), written with admodes.numpy.
    y0, params : 1-D float arrays, shapes (d,) and (m,)
    t_span : (t0, t_end)
    t_obs : 1-D increasing array of N observation times in ``t_span``
    rtol, atol : float
        Tolerances of ``solve_ivp`` for the state and the sensitivities ``S``.
    **options
        ``solver=`` (``"RK45"``, ``"RK23"``, ``"DOP853"``, ``"Radau"``, ``"BDF"``, ``"LSODA"``),
        ``max_steps=``.

    Returns
    -------
    (value, (grad_y0, grad_params)) : (float, (ndarray (d,), ndarray (m,)))

    Notes
    -----
    The system integrated has d (1 + d + m) components: ``y`` and ``Sᵀ`` stored as k = d + m
    rows of length d (row j is the tangent of ``y`` in direction j of ``(y0, p)``). One
    evaluation is one forward pass of ``rhs`` with ``k`` tangents.
    """
    solver, max_steps = _settings(options, "forward")
    t0 = t_span[0]
    d, k = y0.shape[0], y0.shape[0] + params.shape[0]
    z0 = np.concatenate((y0, np.eye(k, d).ravel()))
    if t_obs[-1] == t0:
        zs = np.repeat(z0[None], len(t_obs), axis=0)
    else:
        fun, jac = forward_system(rhs, params, d, solver)
        zs = integrate(fun, (t0, t_obs[-1]), z0, solver=solver, rtol=rtol, atol=atol,
                       max_steps=max_steps, what="forward sensitivities", jac=jac,
                       t_eval=t_obs).y.T
    ys, sens = zs[:, :d], zs[:, d:].reshape(len(t_obs), k, d)  # sens[i] = S(t_i)ᵀ
    value, grad_ys, grad_p = _loss_and_gradients(loss, ys, params)
    grad = np.einsum("ikd,id->k", sens, grad_ys)
    return value, (grad[:d], grad[d:] + grad_p)


def _sweep_back(fun, jac, z, lam, t0, t_obs, grad_ys, step=None, **settings):
    """Integrate an adjoint system backward over the observation intervals, with the jumps.

    ``z`` is the backward state at ``t_obs[-1]`` before its jump, ``lam`` the slice of ``z``
    holding ``λ``, which jumps by ``grad_ys[i]`` at ``t_obs[i]``; each interval between jumps is
    one ``solve_ivp`` call (``settings``: solver, rtol, atol, max_steps, what). The step size
    is carried across the jumps: an interval starts with up to ``_STEP_GROWTH`` times the
    largest step accepted on the previous one (the first interval with ``step``, the step
    of the forward solve there if known, else solve_ivp's own cautious guess), so that short
    intervals between observations take one step each rather than two, and a too long guess
    costs one rejected step. Not with BDF: it restarts at order 1 after every jump, where the
    step must be short (the jump of noisy data excites the stiff modes), and a carried step
    is rejected several times (a Newton solve and an LU each); its own first step (scipy's
    ``select_initial_step``) saved 9% of the evaluations and 17% of the LUs on
    ``problems.heat(300)``, 6-15% of the evaluations on the neural ODE, Van der Pol and
    Lotka–Volterra. Returns the state at ``t0``.
    """
    carry = settings["solver"] != "BDF"
    t_hi = t_obs[-1]
    for i in range(len(t_obs) - 1, -1, -1):
        z = z.copy()
        z[lam] += grad_ys[i]
        t_lo = t_obs[i - 1] if i > 0 else t0
        if t_lo < t_hi:
            first = None if step is None or not carry else min(_STEP_GROWTH * step,
                                                               t_hi - t_lo)
            result = integrate(fun, (t_hi, t_lo), z, jac=jac, first_step=first, **settings)
            z, step = result.y[:, -1], float(np.max(-np.diff(result.t)))
        t_hi = t_lo
    return z


def backsolve_gradient(loss, rhs, y0, params, t_span, t_obs, *, rtol, atol, **options):
    """Gradient by the continuous adjoint integrated backward with the state (backsolve).

    Parameters and result as :func:`forward_gradient`. Memory O(d + m) whatever the number of
    steps; unstable on stiff and chaotic problems (the state solved backward drifts, Ma et al.
    2021); use :func:`interpolating_gradient` there.
    """
    solver, max_steps = _settings(options, "backsolve")
    t0 = t_span[0]
    d, m = y0.shape[0], params.shape[0]
    ys, _ = _solve_state(rhs, y0, params, t0, t_obs, solver, rtol, atol, max_steps,
                         dense_output=False)
    value, grad_ys, grad_p = _loss_and_gradients(loss, ys, params)
    tol = np.concatenate((np.full(d, atol), np.full(d + m, _adjoint_atol(atol, grad_ys))))
    fun, jac = backsolve_system(rhs, params, d, solver)
    z = np.concatenate((ys[-1], np.zeros(d + m)))
    z = _sweep_back(fun, jac, z, slice(d, 2 * d), t0, t_obs, grad_ys, solver=solver, rtol=rtol,
                    atol=tol, max_steps=max_steps, what="state and adjoint backward",
                    hint=_BACKSOLVE_HINT)
    return value, (z[d:2 * d], z[2 * d:] + grad_p)


def interpolating_gradient(loss, rhs, y0, params, t_span, t_obs, *, rtol, atol, **options):
    """Gradient by the continuous adjoint on the stored dense forward solution (interpolating).

    Parameters and result as :func:`forward_gradient`. Only ``[λ, μ]`` is integrated backward,
    with ``y(t)`` from the forward solve's dense output: stable where backsolve is not; memory
    grows with the number of forward steps.
    """
    solver, max_steps = _settings(options, "interpolating")
    t0 = t_span[0]
    d, m = y0.shape[0], params.shape[0]
    ys, state = _solve_state(rhs, y0, params, t0, t_obs, solver, rtol, atol, max_steps,
                             dense_output=True)
    value, grad_ys, grad_p = _loss_and_gradients(loss, ys, params)
    fun, jac = interpolating_system(rhs, params, state, d, solver)
    step = None if state is None else state.step_length(t_obs[-1])
    w = _sweep_back(fun, jac, np.zeros(d + m), slice(0, d), t0, t_obs, grad_ys, step=step,
                    solver=solver, rtol=rtol, atol=_adjoint_atol(atol, grad_ys),
                    max_steps=max_steps, what="adjoint backward")
    return value, (w[:d], w[d:] + grad_p)
