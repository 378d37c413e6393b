"""The discrete adjoint: reverse mode through the integrator's steps, one step at a time.

What: the exact gradient of the *discrete* solution (the numbers the integrator produced, for
its accepted step sequence) with respect to (y0, p). Synonyms: discretize-then-differentiate,
backpropagation through the solver, reverse-mode AD of the time stepper.

How: a plain forward solve fixes the step sequence t_0 < ... < t_N (step-size control decides
on plain values, see :mod:`admodes.ode.stepping`) and the observations; reverse mode on the
loss gives ∂L/∂ys. Then the steps are swept backwards: with λ_{n+1} = ∂L/∂y_{n+1},

    λ_n = (∂y_{n+1}/∂y_n)ᵀ λ_{n+1} + Σ_{obs in step n} (∂o/∂y_n)ᵀ ō + ∂L/∂y_n|_direct,
    p̄  += (∂y_{n+1}/∂p)ᵀ λ_{n+1} + Σ_{obs in step n} (∂o/∂p)ᵀ ō,

each step's vector-Jacobian product computed by the reverse engine on that step alone. For
an explicit Runge-Kutta step (Y_i = y + h Σ a_ij k_j, k_i = f(t + c_i h, Y_i), y' = y + h Σ b_i
k_i, dense outputs o = y + h Σ b_i(θ) k_i) the step's VJP is assembled from one VJP of f per
stage (Hager, Numer. Math. 87, 247-282, 2000, doi:10.1007/s002110000178; Sandu, in *Automatic
Differentiation: Applications, Theory, and Implementations*, Springer 2006,
doi:10.1007/3-540-28438-9_8): with k̄_i = h (b_i λ' + Σ_obs b_i(θ) ō) and, for i = s..1,
(Ȳ_i, p̄_i) = VJP of f at Y_i applied to k̄_i, k̄_j += h a_ij Ȳ_i (j < i), λ += Ȳ_i, p̄ += p̄_i,
which is exactly what reverse mode through the step computes, without taping the step's
linear combinations. Other integrators (the Rosenbrock methods ``rosenbrock`` and ``rodas4``)
are taped one whole step at a time.

Memory and cost: without checkpoints all N + 1 states are stored (O(N·n)); the reverse sweep
costs one VJP of f per stage, a few times a forward step. With ``checkpoints=c`` at most c
states are stored and the rest recomputed by Griewank's binomial schedule
(:mod:`admodes.ode.checkpointing`): F(N, c) extra forward steps, O(N log N) for c ~ log N.

When it wins: exact (to rounding) gradients of what was actually computed, stable on stiff and
chaotic problems where the continuous backsolve adjoint is not; cost independent of p.
When not: memory O(N) without checkpoints; its gradient is that of the discrete solution, so
it converges to the true gradient only as the tolerances shrink.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from admodes.api import value_and_grad
from admodes.ode._rhs_derivatives import linearize
from admodes.ode.checkpointing import revolve
from admodes.ode.explicit import ExplicitRK, combine
from admodes.ode.solvers import check_options, integrator, integrator_options
from admodes.ode.stepping import integrate
from admodes.tracing import primal_value, shape_of

__all__ = ["DiscreteAdjoint", "adjoint", "gradient"]


@dataclasses.dataclass
class DiscreteAdjoint:
    """Result of :func:`adjoint`: value, gradients and what the sweep cost.

    The gradients are numpy arrays, or tracers when ``y0``/``params`` are traced by an outer
    transform: the sweep is written with registry ops, so e.g. ``admodes.jvp`` of the discrete
    gradient gives Hessian-vector products (forward over the discrete adjoint).
    ``steps``: accepted steps N; ``rejected``: rejected steps of the forward solve;
    ``advances``: forward steps recomputed by the checkpointing schedule (0 without
    checkpoints); ``max_stored``: most states held at once (N + 1 without checkpoints);
    ``rhs_evaluations``: of the forward solve.
    """

    value: float
    grad_y0: np.ndarray
    grad_params: np.ndarray
    steps: int
    rejected: int
    advances: int
    max_stored: int
    rhs_evaluations: int


def _rk_step_vjp(method: ExplicitRK, rhs, t, h, y, params, lam, dense):
    """VJP of one explicit RK step: (λ_n, p̄_n) from λ_{n+1} and dense-output cotangents.

    ``dense`` lists (θ, ō) for the observations inside this step.
    """
    a, b, c = method.a, method.b, method.c
    weights = [method.dense_weights(theta) for theta, _ in dense]
    used = method.stages if (dense or not method.fsal) else method.stages - 1
    ks, pullbacks = [], []
    for i in range(used):
        stage = y if i == 0 else combine(y, h, a[i, :i], ks)
        time = t + c[i] * h
        k, pullback = linearize(lambda u, p, time=time: rhs(time, u, p), stage, params)
        ks.append(k)
        pullbacks.append(pullback)
    k_bar = (h * b[:used, None]) * lam  # row i: the cotangent of k_i, shape (used, n)
    y_bar = lam
    for w, (_, o_bar) in zip(weights, dense):
        k_bar = k_bar + (h * w[:used, None]) * o_bar
        y_bar = y_bar + o_bar
    p_bar = None
    for i in range(used - 1, -1, -1):
        stage_bar, stage_p_bar = pullbacks[i](k_bar[i])
        y_bar = y_bar + stage_bar
        p_bar = stage_p_bar if p_bar is None else p_bar + stage_p_bar
        if i:
            k_bar = k_bar + (h * a[i, :used, None]) * stage_bar
    return y_bar, p_bar


def _step_vjp(method, rhs, t, h, y, params, lam, dense):
    """VJP of one step: the stage-wise rule for explicit RK, else the whole step taped.

    Integrators without dense output land on every observation time, so only explicit RK
    steps carry dense-output cotangents.
    """
    if isinstance(method, ExplicitRK):
        return _rk_step_vjp(method, rhs, t, h, y, params, lam, dense)
    _, pullback = linearize(lambda u, p: method.step(rhs, t, h, u, p)[0], y, params)
    return tuple(pullback(lam))


def _advance(method, rhs, times, params, y, start, stop):
    for n in range(start, stop):
        y = method.step(rhs, times[n], times[n + 1] - times[n], y, params)[0]
    return y


def _check_checkpoints(checkpoints):
    if checkpoints is not None and (isinstance(checkpoints, bool)
                                    or not isinstance(checkpoints, (int, np.integer))
                                    or checkpoints < 1):
        raise ValueError(f"checkpoints must be a positive int (stored states) or None (store "
                         f"every state), got {checkpoints!r}")


def adjoint(loss, rhs, y0, params, t_span, t_obs, *, rtol=1e-8, atol=1e-8, solver="dopri5",
            checkpoints=None, **options) -> DiscreteAdjoint:
    """The discrete adjoint with its cost statistics; see :func:`gradient` for the arguments."""
    _check_checkpoints(checkpoints)
    method = integrator(solver)
    check_options(options, integrator_options(method), solver)
    trajectory = integrate(method, rhs, y0, params, t_span, t_obs, rtol=rtol, atol=atol,
                           keep_states=checkpoints is None, **options)
    value, (ys_bar, p_bar) = value_and_grad(loss, argnums=(0, 1))(trajectory.observed(), params)
    n_steps, times = trajectory.n_steps, trajectory.times
    at_state = [[] for _ in range(n_steps + 1)]  # observation cotangents by state / step
    in_step = [[] for _ in range(n_steps)]
    for i, (n, theta) in enumerate(trajectory.observations):
        (at_state[n] if theta is None else in_step[n]).append((theta, ys_bar[i]))

    def add_state_cotangents(lam, n):
        for _, o_bar in at_state[n]:
            lam = o_bar if lam is None else lam + o_bar
        return lam

    lam = add_state_cotangents(None, n_steps)
    if lam is None:
        lam = np.zeros(shape_of(y0))

    def reverse_step(n, y_n):
        nonlocal lam, p_bar
        lam, step_p_bar = _step_vjp(method, rhs, times[n], times[n + 1] - times[n], y_n, params,
                                    lam, in_step[n])
        p_bar = p_bar + step_p_bar
        lam = add_state_cotangents(lam, n)

    if checkpoints is None:
        for n in range(n_steps - 1, -1, -1):
            reverse_step(n, trajectory.states[n])
        advances, max_stored = 0, n_steps + 1
    else:
        schedule = revolve(n_steps, int(checkpoints))
        stored, current = {}, None
        for action in schedule.actions:
            kind = action[0]
            if kind == "store":
                stored[action[1]] = y0 if action[1] == 0 else current
            elif kind == "restore":
                current = stored[action[1]]
            elif kind == "advance":
                current = _advance(method, rhs, times, params, current, action[1], action[2])
            elif kind == "reverse":
                reverse_step(action[1], current)
            else:
                del stored[action[1]]
        advances, max_stored = schedule.advances, schedule.max_stored
    return DiscreteAdjoint(float(primal_value(value)), lam, p_bar, n_steps, trajectory.rejected,
                           advances, max_stored, trajectory.rhs_evaluations)


def gradient(loss, rhs, y0, params, t_span, t_obs, *, rtol=1e-8, atol=1e-8, solver="dopri5",
             checkpoints=None, **options):
    """Value and gradient of ``loss(ys, params)`` by the discrete adjoint.

    ``solver``: an admodes integrator (``"dopri5"``, ``"rk4"``, ``"euler"``, ``"rosenbrock"``,
    ``"rodas4"``);
    ``checkpoints``: None stores every state, an int c stores at most c (binomial schedule);
    other options (``steps=``, ``max_steps=``, ``first_step=``) go to the integrator.
    Returns ``(value, (grad_y0, grad_params))``.
    """
    result = adjoint(loss, rhs, y0, params, t_span, t_obs, rtol=rtol, atol=atol, solver=solver,
                     checkpoints=checkpoints, **options)
    return result.value, (result.grad_y0, result.grad_params)
