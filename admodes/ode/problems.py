"""Model problems for the ODE sensitivity methods, each a frozen :class:`Problem`.

Every problem is an initial-value problem dy/dt = rhs(t, y, params), y(t0) = y0, observed at
``t_obs``, with a seeded scalar loss ``loss(ys, params)`` of the observed states ``ys`` (shape
``(len(t_obs), len(y0))``). Right-hand sides are written with :mod:`admodes.numpy`, so both
engines differentiate them and the integrators of :mod:`admodes.ode` run on them.

Unless said otherwise the loss is the least-squares misfit to synthetic data,
L(ys) = ½ Σ_ij (ys_ij − d_ij)², where the data d are the solution at the problem's own
parameters (scipy ``solve_ivp``, tight tolerances) plus seeded Gaussian noise, so the loss and
its gradient are small but nonzero, as in parameter estimation.

=====================  =====  ===========  =====================================================
problem                n      p            character
=====================  =====  ===========  =====================================================
``lotka_volterra()``   2      4            nonstiff, periodic predator-prey
``damped_pendulum()``  2      3            nonstiff, nonlinear oscillator with friction
``heat(n)``            n      n            method of lines; stiff for n ≳ 60 (stiffness ∝ n²)
``van_der_pol(mu)``    2      1            stiff for mu ≳ 100 (eigenvalue ≈ −mu·(y1² − 1))
``lorenz(t_end)``      3      3            chaotic: sensitivities grow like exp(0.9 t)
``neural_ode(dim)``    dim    dim² + dim   dy/dt = tanh(W y + b) on t ∈ [0, 1]
=====================  =====  ===========  =====================================================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from scipy.integrate import solve_ivp
from scipy.linalg import eigh_tridiagonal

import admodes.numpy as anp
from admodes.api import jacfwd

__all__ = [
    "Problem",
    "damped_pendulum",
    "heat",
    "lorenz",
    "lotka_volterra",
    "neural_ode",
    "problems",
    "van_der_pol",
]


@dataclasses.dataclass(frozen=True, eq=False)
class Problem:
    """One model problem: everything :func:`admodes.ode.gradient` needs, plus what it is.

    Fields: ``name``; ``rhs(t, y, params)`` (admodes.numpy); ``y0`` and ``params`` (1-D float
    arrays); ``t_span = (t0, t1)``; ``t_obs`` (increasing, inside ``t_span``);
    ``loss(ys, params)`` (scalar); ``stiff`` (whether an implicit solver is needed for
    efficiency); ``description``; ``reference`` (where the model comes from).
    """

    name: str
    rhs: Callable
    y0: np.ndarray
    params: np.ndarray
    t_span: tuple
    t_obs: np.ndarray
    loss: Callable
    stiff: bool
    description: str
    reference: str

    @property
    def n_states(self) -> int:
        return int(self.y0.size)

    @property
    def n_params(self) -> int:
        return int(self.params.size)


def _least_squares(data: np.ndarray) -> Callable:
    """L(ys, params) = ½ Σ (ys − data)²."""
    def loss(ys, params):
        return 0.5 * anp.sum((ys - data) ** 2)
    return loss


def _noisy_data(rhs, y0, params, t_span, t_obs, noise, seed, stiff):
    """The solution at ``params`` (solve_ivp, rtol = atol = 1e-9) plus N(0, noise²) noise.

    Stiff problems use Radau with the Jacobian ∂rhs/∂y from the forward engine.
    """
    options = {"method": "DOP853"}
    if stiff:
        options = {"method": "Radau", "jac": jacfwd(lambda t, y: rhs(t, y, params), argnums=1)}
    sol = solve_ivp(lambda t, y: np.asarray(rhs(t, y, params)), t_span, y0, t_eval=t_obs,
                    rtol=1e-9, atol=1e-9, **options)
    if not sol.success:  # pragma: no cover - the problems below are all solvable
        raise RuntimeError(f"reference solve for the model data failed: {sol.message}")
    rng = np.random.default_rng(seed)
    return sol.y.T + noise * rng.standard_normal(sol.y.T.shape)


def _problem(name, rhs, y0, params, t_span, t_obs, stiff, description, reference,
             noise=0.1, seed=0, solution=None):
    """Build a Problem whose loss fits noisy data (``solution``: the exact states at t_obs if
    known, else computed by :func:`_noisy_data`)."""
    y0 = np.asarray(y0, dtype=float)
    params = np.asarray(params, dtype=float)
    t_obs = np.asarray(t_obs, dtype=float)
    t_span = (float(t_span[0]), float(t_span[1]))
    if solution is None:
        data = _noisy_data(rhs, y0, params, t_span, t_obs, noise, seed, stiff)
    else:
        data = solution + noise * np.random.default_rng(seed).standard_normal(solution.shape)
    return Problem(name, rhs, y0, params, t_span, t_obs, _least_squares(data), stiff,
                   description, reference)


def _lotka_volterra_rhs(t, y, params):
    alpha, beta, gamma, delta = params[0], params[1], params[2], params[3]
    prey, predator = y[0], y[1]
    return anp.stack([alpha * prey - beta * prey * predator,
                      delta * prey * predator - gamma * predator])


def lotka_volterra() -> Problem:
    """Predator-prey model x' = αx − βxy, y' = δxy − γy; p = (α, β, γ, δ) = (1.5, 1, 3, 1).

    y0 = (1, 1), t ∈ [0, 10], 10 observations, data noise σ = 0.1.
    """
    return _problem(
        "lotka_volterra", _lotka_volterra_rhs, [1.0, 1.0], [1.5, 1.0, 3.0, 1.0], (0.0, 10.0),
        np.linspace(1.0, 10.0, 10), False,
        "Lotka-Volterra predator-prey model, p = (alpha, beta, gamma, delta)",
        "Lotka, A. J. (1925). Elements of Physical Biology; Volterra, V. (1926). Fluctuations "
        "in the abundance of a species considered mathematically. Nature 118, 558-560. "
        "doi:10.1038/118558a0")


def _pendulum_rhs(t, y, params):
    gravity, length, friction = params[0], params[1], params[2]
    angle, velocity = y[0], y[1]
    return anp.stack([velocity, -(gravity / length) * anp.sin(angle) - friction * velocity])


def damped_pendulum() -> Problem:
    """θ'' = −(g/ℓ) sin θ − c θ' as a first-order system; p = (g, ℓ, c) = (9.81, 1, 0.5).

    y0 = (θ, θ') = (1, 0), t ∈ [0, 5], 10 observations, data noise σ = 0.05.
    """
    return _problem(
        "damped_pendulum", _pendulum_rhs, [1.0, 0.0], [9.81, 1.0, 0.5], (0.0, 5.0),
        np.linspace(0.5, 5.0, 10), False,
        "damped nonlinear pendulum, p = (gravity, length, friction)",
        "Hairer, E., Norsett, S. P. & Wanner, G. (1993). Solving Ordinary Differential "
        "Equations I, 2nd ed., Springer, sec. I.14. doi:10.1007/978-3-540-78862-1",
        noise=0.05)


def heat(n: int = 32) -> Problem:
    """1-D heat equation u_t = κ(x) u_xx on (0, 1), u = 0 at both ends, by the method of lines.

    n interior grid points x_i = i·Δx, Δx = 1/(n+1); du_i/dt = κ_i (u_{i−1} − 2u_i +
    u_{i+1})/Δx², one diffusivity per grid point (p = n). κ_i ~ U(0.05, 0.15) (seeded),
    u(0, x) = sin(πx) + ½ sin(3πx), t ∈ [0, 0.5], 5 observations, data noise σ = 0.01.
    The spectral radius of the Jacobian is about 4 max κ/Δx², so the problem is flagged stiff
    when 4 max κ (n+1)² · 0.5 > 1000 (an explicit method would need that many steps for
    stability alone; n ≳ 60). The system is linear, u' = K Δ u with K = diag(κ), and
    K^{-1/2} (K Δ) K^{1/2} = K^{1/2} Δ K^{1/2} = Q Λ Qᵀ is symmetric, so the data come exactly
    from u(t) = K^{1/2} Q exp(tΛ) Qᵀ K^{-1/2} u(0).
    """
    if not isinstance(n, (int, np.integer)) or n < 3:
        raise ValueError(f"heat: n must be an int >= 3 (interior grid points), got {n!r}")
    n = int(n)
    dx = 1.0 / (n + 1)
    x = dx * np.arange(1, n + 1)
    laplacian = (np.diag(-2.0 * np.ones(n)) + np.diag(np.ones(n - 1), 1)
                 + np.diag(np.ones(n - 1), -1)) / dx**2

    def rhs(t, y, params):
        return params * (laplacian @ y)

    kappa = np.random.default_rng(n).uniform(0.05, 0.15, n)
    t_end = 0.5
    stiff = bool(4 * kappa.max() / dx**2 * t_end > 1000)
    u0 = np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x)
    t_obs = np.linspace(0.1, t_end, 5)
    root = np.sqrt(kappa)
    eigenvalues, vectors = eigh_tridiagonal(-2.0 * kappa / dx**2, root[:-1] * root[1:] / dx**2)
    modes = vectors.T @ (u0 / root)
    exact = (root[:, None] * vectors) @ (np.exp(np.outer(eigenvalues, t_obs)) * modes[:, None])
    exact = exact.T
    return _problem(
        f"heat_{n}", rhs, u0, kappa, (0.0, t_end), t_obs, stiff,
        f"heat equation by the method of lines, {n} grid points, one diffusivity per point",
        "Schiesser, W. E. (1991). The Numerical Method of Lines. Academic Press; Hairer, E. & "
        "Wanner, G. (1996). Solving Ordinary Differential Equations II, 2nd ed., sec. IV.1. "
        "doi:10.1007/978-3-642-05221-7",
        noise=0.01, solution=exact)


def _van_der_pol_rhs(t, y, params):
    mu = params[0]
    return anp.stack([y[1], mu * ((1.0 - y[0] ** 2) * y[1] - y[0])])


def van_der_pol(mu: float = 1000.0) -> Problem:
    """Van der Pol oscillator y1' = y2, y2' = μ((1 − y1²) y2 − y1); p = (μ,).

    This is the time-scaled form (Hairer & Wanner II, sec. IV.1, with ε = 1/μ): the period is
    about 1.6 whatever μ. y0 = (2, 0), t ∈ [0, 0.5] (the slow phase before the first fast
    jump at t ≈ 0.81), 10 observations, data noise σ = 0.01. Stiff for μ ≥ 100: the fast
    eigenvalue is about −μ(y1² − 1) ≈ −3μ while the solution changes on the time scale 1.
    """
    if not isinstance(mu, (int, float, np.floating, np.integer)) or not mu > 0:
        raise ValueError(f"van_der_pol: mu must be a positive number, got {mu!r}")
    mu = float(mu)
    t_end = 0.5
    return _problem(
        "van_der_pol", _van_der_pol_rhs, [2.0, 0.0], [mu], (0.0, t_end),
        np.linspace(0.1 * t_end, t_end, 10), mu >= 100,
        f"Van der Pol oscillator, mu = {mu:g}",
        "van der Pol, B. (1926). On relaxation-oscillations. Phil. Mag. 2(11), 978-992. "
        "doi:10.1080/14786442608564127; Hairer & Wanner (1996), Solving ODEs II, sec. IV.1",
        noise=0.01)


def _lorenz_rhs(t, y, params):
    sigma, rho, beta = params[0], params[1], params[2]
    return anp.stack([sigma * (y[1] - y[0]), y[0] * (rho - y[2]) - y[1],
                      y[0] * y[1] - beta * y[2]])


def lorenz(t_end: float = 10.0) -> Problem:
    """Lorenz system with σ = 10, ρ = 28, β = 8/3 (p = (σ, ρ, β)), y0 = (1, 1, 1).

    t ∈ [0, t_end], 10 observations, data noise σ = 0.5. Chaotic (largest Lyapunov exponent
    ≈ 0.9), so gradients grow like exp(0.9 t): the long-horizon stress test.
    """
    if not isinstance(t_end, (int, float, np.floating, np.integer)) or not t_end > 0:
        raise ValueError(f"lorenz: t_end must be a positive number, got {t_end!r}")
    t_end = float(t_end)
    return _problem(
        "lorenz", _lorenz_rhs, [1.0, 1.0, 1.0], [10.0, 28.0, 8.0 / 3.0], (0.0, t_end),
        np.linspace(0.1 * t_end, t_end, 10), False,
        f"Lorenz system on [0, {t_end:g}] (chaotic)",
        "Lorenz, E. N. (1963). Deterministic nonperiodic flow. J. Atmos. Sci. 20(2), 130-141. "
        "doi:10.1175/1520-0469(1963)020<0130:DNF>2.0.CO;2",
        noise=0.5)


def neural_ode(dim: int = 31, seed: int = 0) -> Problem:
    """Neural ODE dy/dt = tanh(W y + b), y ∈ R^dim, params = (W.ravel(), b) (p = dim² + dim).

    W ~ N(0, 1/dim), b ~ N(0, 0.1²), y0 ~ N(0, 1), t ∈ [0, 1], 10 observations, targets
    ~ N(0, 1) (seeded); L = ½ Σ (ys − targets)².
    """
    if not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"neural_ode: dim must be a positive int, got {dim!r}")
    dim = int(dim)
    rng = np.random.default_rng(seed)
    weights = rng.standard_normal((dim, dim)) / np.sqrt(dim)
    bias = 0.1 * rng.standard_normal(dim)
    y0 = rng.standard_normal(dim)
    t_obs = np.linspace(0.1, 1.0, 10)
    targets = rng.standard_normal((t_obs.size, dim))
    split = dim * dim

    def rhs(t, y, params):
        w = anp.reshape(params[:split], (dim, dim))
        return anp.tanh(w @ y + params[split:])

    return Problem(
        f"neural_ode_{dim}", rhs, y0, np.concatenate([weights.ravel(), bias]), (0.0, 1.0),
        t_obs, _least_squares(targets), False,
        f"neural ODE dy/dt = tanh(W y + b), dim = {dim}, p = {split + dim}",
        "Chen, R. T. Q., Rubanova, Y., Bettencourt, J. & Duvenaud, D. (2018). Neural ordinary "
        "differential equations. NeurIPS 31. arXiv:1806.07366")


def problems() -> dict:
    """Every model problem at its default size, by name."""
    return {p.name: p for p in (lotka_volterra(), damped_pendulum(), heat(), van_der_pol(),
                                lorenz(), neural_ode())}
