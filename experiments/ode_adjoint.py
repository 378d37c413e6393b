"""ODE sensitivities: forward sensitivities vs discrete and continuous adjoints.

What: the gradient of a scalar loss L(y(t_1), …, y(t_N), p) of an ODE solution with respect to
y0 and the p parameters, by the five methods of ``admodes.ode.gradient``:

``forward``        forward sensitivity equations S' = J_y S + J_p (p + d directions in vector
                   mode): cost O((p + d)·C), memory O(d(p + d));
``discrete``       reverse mode through the integrator's steps (discretize-then-differentiate;
                   exact gradient of the discrete solution): cost O(C), memory O(steps·d), or
                   O(c·d) with c binomial checkpoints at O(steps·log steps) recomputation;
``interpolating``  continuous adjoint λ' = −J_yᵀλ, μ' = −J_pᵀλ, backward, reading y(t) from
                   the stored dense forward solution: cost O(C), memory O(steps·d);
``backsolve``      the same adjoint, solving y backward with it: cost O(C), memory O(d), but
                   unstable where the forward problem is stiff or chaotic;
``finite_difference`` baseline (not timed here).

Five parts, one row per measured point:

1. ``cost``: time and FLOPs of one gradient as a ratio to one plain solve with the same solver,
   versus p, on the neural ODE dy/dt = tanh(W y + b) (p = dim² + dim) and the heat equation
   with one diffusivity per grid point (p = n, stiff: implicit solvers); the crossover p where
   the adjoints overtake forward sensitivities (Ma et al. 2021 report forward sensitivities
   winning below roughly 100 parameters).
2. ``accuracy``: relative error of each method against a tight-tolerance reference (forward
   sensitivities with DOP853 at rtol = atol = 1e-12) versus the solver tolerance, on
   Lotka-Volterra.
3. ``memory``: discrete adjoint of a fixed-step RK4 solve, full tape vs c binomial checkpoints
   (stored bytes vs recomputed right-hand-side evaluations), and the continuous adjoints.
4. ``robust``: Van der Pol with growing stiffness μ and Lorenz with growing horizon: where
   backsolve fails (error vs reference, or a solver failure) and which methods stay accurate.
5. ``target``: the performance targets of issue #5 (one thread). Neural ODE with dim = 31 (992
   parameters, rtol = atol = 1e-6): gradient / plain solve for the discrete and interpolating
   adjoints (≤ 6×), absolute time vs torchdiffeq's adjoint (measured when torchdiffeq is
   installed). Heat equation with p = 300 (stiff): the interpolating adjoint with an implicit
   solver, BDF and Radau, ≤ 5× its plain solve at 1e-6, and a gradient to 1e-6 relative
   (Radau at 1e-8).

Cost accounting: FLOPs are those of admodes' registry ops (right-hand side, its JVPs/VJPs,
admodes integrators); work done inside ``scipy.integrate.solve_ivp`` (its Runge-Kutta
combinations, Newton iterations and LU factorizations) is not counted, so FLOP ratios of the
continuous methods count right-hand-side work only. Times are medians of repeats.

References: Ma, Dixit, Innes, Guo & Rackauckas 2021, arXiv:1812.01892; Cao, Li, Petzold &
Serban 2003, doi:10.1137/S1064827501380630; Griewank & Walther 2000 (revolve),
doi:10.1145/347837.347846; Chen, Rubanova, Bettencourt & Duvenaud 2018, arXiv:1806.07366;
Kidger, Chen & Lyons 2021, arXiv:2009.09457.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pandas as pd

import admodes as ad
from admodes import ode
from admodes.ode import checkpointing, discrete, problems
from experiments.harness.fitting import crossover, loglog_slope
from experiments.harness.hosts import (
    by_host,
    figure_legend,
    findings_per_host,
    host_column,
    host_style,
    on_host,
    pooled_and_per_host,
)
from experiments.harness.memory import traced_peak
from experiments.harness.timing import time_call, time_calls, time_options
from experiments.reporting.figures import PAGE_WIDTH, figure, log_axes, save
from experiments.reporting.tables import write_table

TITLE = "ODE adjoints: forward sensitivities vs discrete and continuous adjoints"
QUESTION = ("What does a gradient through an ODE solve cost relative to the solve, by method "
            "and number of parameters p, and where do the adjoints lose accuracy or memory?")
REFERENCES = (
    ("Ma, Y., Dixit, V., Innes, M. J., Guo, X. & Rackauckas, C. (2021). A comparison of "
     "automatic differentiation and continuous sensitivity analysis for derivatives of "
     "differential equation solutions. IEEE HPEC. arXiv:1812.01892"),
    ("Cao, Y., Li, S., Petzold, L. & Serban, R. (2003). Adjoint sensitivity analysis for "
     "differential-algebraic equations. SIAM J. Sci. Comput. 24(3), 1076-1089. "
     "doi:10.1137/S1064827501380630"),
    ("Griewank, A. & Walther, A. (2000). Algorithm 799: revolve: an implementation of "
     "checkpointing for the reverse or adjoint mode of computational differentiation. ACM "
     "TOMS 26(1), 19-45. doi:10.1145/347837.347846"),
    ("Chen, R. T. Q., Rubanova, Y., Bettencourt, J. & Duvenaud, D. (2018). Neural ordinary "
     "differential equations. NeurIPS 31. arXiv:1806.07366"),
    ("Kidger, P., Chen, R. T. Q. & Lyons, T. (2021). \"Hey, that's not an ODE\": faster ODE "
     "adjoints via seminorms. ICML. arXiv:2009.09457"),
)
KEY_FIELDS = ("part", "problem", "scale", "method", "solver", "tol", "checkpoints")
METHODS = ("forward", "discrete", "interpolating", "backsolve")
#: solver per (method, stiff problem?) when a point does not name one
SOLVERS = {("discrete", False): "dopri5", ("discrete", True): "rodas4",
           ("forward", False): "RK45", ("forward", True): "BDF",
           ("interpolating", False): "RK45", ("interpolating", True): "BDF",
           ("backsolve", False): "RK45", ("backsolve", True): "BDF"}
PEER = "torchdiffeq_adjoint"
#: (solver, tolerance) of the interpolating adjoint on the heat equation's targets
HEAT_TARGETS = (("BDF", 1e-6), ("Radau", 1e-6), ("Radau", 1e-8))

QUICK = {
    "cost_sizes": {"neural": [1, 2, 4, 8, 16, 31], "heat": [4, 16, 64]},
    "forward_max_p": {"neural": 1000, "heat": 64},
    "cost_tol": 1e-6, "accuracy_tols": [1e-3, 1e-5, 1e-7, 1e-9],
    "memory": {"dim": 32, "steps": 256, "checkpoints": [0, 4, 16, 64]},
    "vdp_mu": [1.0, 10.0, 100.0], "lorenz_t": [1.0, 5.0],
    "max_steps": 1500, "target_dim": 31, "target_heat": 32, "repeats": 3, "min_time": 0.0, "max_time": 1.0,
}
FULL = {
    "cost_sizes": {"neural": [1, 2, 3, 5, 8, 12, 18, 25, 31, 45],
                   "heat": [4, 8, 16, 32, 64, 128, 300]},
    "forward_max_p": {"neural": 2100, "heat": 64},
    "cost_tol": 1e-6, "accuracy_tols": [1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10],
    "memory": {"dim": 64, "steps": 512, "checkpoints": [0, 4, 6, 8, 16, 32, 64, 128]},
    "vdp_mu": [1.0, 10.0, 100.0, 1000.0], "lorenz_t": [1.0, 2.0, 5.0, 10.0, 20.0],
    "max_steps": 3000, "target_dim": 31, "target_heat": 300, "repeats": 7, "min_time": 0.05, "max_time": 5.0,
}

#: every column of a row; a part fills the ones it measures (NaN / "" elsewhere)
COLUMNS = ("solver_used", "p", "n_states", "value", "grad_norm", "error", "status", "time", "time_iqr",
           "time_solve", "time_solve_iqr", "flops", "flops_solve", "ops", "ops_solve",
           "tape_bytes", "peak_tape_bytes", "traced_bytes", "traced_bytes_solve", "rhs_calls",
           "steps", "advances", "max_stored", "revolve_optimum", "timer")
TEXT_COLUMNS = ("solver_used", "status", "timer")


# -- problems, references, counting ------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def build(name, scale, seed=0):
    """The model problem ``name`` at ``scale`` (grid points, dim, μ or t_end)."""
    if name == "neural":
        return problems.neural_ode(int(scale), seed=seed)
    if name == "heat":
        return problems.heat(int(scale))
    if name == "vdp":
        return problems.van_der_pol(float(scale))
    if name == "lorenz":
        return problems.lorenz(float(scale))
    if name == "lotka_volterra":
        return problems.lotka_volterra()
    raise ValueError(f"unknown problem {name!r}; expected neural, heat, vdp, lorenz or "
                     f"lotka_volterra")


def flat_gradient(result):
    """``(value, ∇L)`` with ∇L = (∂L/∂y0, ∂L/∂p) concatenated, from ``ode.gradient``."""
    value, (grad_y0, grad_params) = result
    return float(value), np.concatenate([np.ravel(grad_y0), np.ravel(grad_params)])


@functools.lru_cache(maxsize=64)
def reference(name, scale, seed=0):
    """Tight-tolerance reference gradient: forward sensitivities at rtol = atol = 1e-12
    (DOP853; Radau at 1e-10 on stiff problems)."""
    problem = build(name, scale, seed)
    solver, tol = ("Radau", 1e-10) if problem.stiff else ("DOP853", 1e-12)
    return flat_gradient(ode.gradient(problem.loss, problem.rhs, problem.y0, problem.params,
                                      problem.t_span, problem.t_obs, method="forward",
                                      rtol=tol, atol=tol, solver=solver, max_steps=10**6))


def relative_error(grad, ref):
    """‖g − g_ref‖ / ‖g_ref‖ (inf if g is not finite)."""
    if not np.all(np.isfinite(grad)):
        return math.inf
    return float(np.linalg.norm(grad - ref) / np.linalg.norm(ref))


class CountedRHS:
    """``rhs`` that counts its calls (primal, traced or batched alike)."""

    def __init__(self, rhs):
        self.rhs, self.calls = rhs, 0

    def __call__(self, t, y, params):
        self.calls += 1
        return self.rhs(t, y, params)


def solver_for(method, solver, problem):
    return solver or SOLVERS[(method, bool(problem.stiff))]


def gradient_call(problem, method, solver, tol, checkpoints=0, rhs=None, **extra):
    """A zero-argument callable: one ``ode.gradient`` of the problem's loss."""
    options = dict(extra, solver=solver)
    if checkpoints:
        options["checkpoints"] = int(checkpoints)

    def call():
        return ode.gradient(problem.loss, rhs or problem.rhs, problem.y0, problem.params,
                            problem.t_span, problem.t_obs, method=method, rtol=tol, atol=tol,
                            **options)
    return call


def solve_call(problem, solver, tol, rhs=None, **extra):
    """A zero-argument callable: one plain ``ode.solve`` with the same solver."""
    def call():
        return ode.solve(rhs or problem.rhs, problem.y0, problem.params, problem.t_span,
                         problem.t_obs, solver=solver, rtol=tol, atol=tol, **extra)
    return call


# -- the sweep ----------------------------------------------------------------------------------

def _point(part, problem, scale, method, solver, tol, checkpoints=0):
    return {"part": part, "problem": problem, "scale": float(scale), "method": method,
            "solver": solver, "tol": float(tol), "checkpoints": int(checkpoints)}


def n_params(name, scale):
    return int(scale) ** 2 + int(scale) if name == "neural" else int(scale)


def points(config):
    tol = config["cost_tol"]
    for family, sizes in config["cost_sizes"].items():
        for scale in sizes:
            for method in METHODS:
                if method == "forward" and n_params(family, scale) > \
                        config["forward_max_p"][family]:
                    continue
                if method == "backsolve" and family == "heat":
                    continue  # the backward heat equation is ill-posed: see the robust part
                yield _point("cost", family, scale, method, "", tol)
    for tol in config["accuracy_tols"]:
        for method in METHODS:
            yield _point("accuracy", "lotka_volterra", 0, method, "", tol)
    memory = config["memory"]
    for c in memory["checkpoints"]:
        yield _point("memory", "neural", memory["dim"], "discrete", "rk4", 0, c)
    for method in ("interpolating", "backsolve"):
        yield _point("memory", "neural", memory["dim"], method, "RK45", 1e-6)
    for mu in config["vdp_mu"]:
        for method, solver in (("backsolve", "RK45"), ("backsolve", "Radau"),
                               ("interpolating", "Radau"), ("discrete", "rodas4"),
                               ("forward", "Radau")):
            yield _point("robust", "vdp", mu, method, solver, 1e-6)
    for t_end in config["lorenz_t"]:
        for method, solver in (("backsolve", "DOP853"), ("interpolating", "DOP853"),
                               ("discrete", "dopri5"), ("forward", "DOP853")):
            yield _point("robust", "lorenz", t_end, method, solver, 1e-8)
    for method in ("discrete", "interpolating", "backsolve", PEER):
        yield _point("target", "neural", config["target_dim"], method, "", 1e-6)
    for solver, tol in HEAT_TARGETS:
        yield _point("target", "heat", config["target_heat"], "interpolating", solver, tol)


def _row(problem, **values):
    row = {c: ("" if c in TEXT_COLUMNS else math.nan) for c in COLUMNS}
    row.update(p=problem.n_params, n_states=problem.n_states, status="ok")
    row.update(values)
    return row


def measure(point, config):
    part = point["part"]
    problem = build(point["problem"], point["scale"], config["seed"])
    if point["method"] == PEER:
        return measure_peer(problem, point["tol"], config)
    solver = solver_for(point["method"], point["solver"], problem)
    if part == "cost":
        row = measure_cost(problem, point["method"], solver, point["tol"], config)
    elif part == "target":
        row = measure_cost(problem, point["method"], solver, point["tol"], config)
        row["error"] = target_error(problem, point, solver, config)
    elif part in ("accuracy", "robust"):
        row = measure_error(problem, point, solver, config)
    elif part == "memory":
        row = measure_memory(problem, point, solver, config)
    else:
            raise ValueError(f"unknown part {part!r}; expected cost, accuracy, memory, robust or "
                         f"target")
    return dict(row, solver_used=solver)


def measure_cost(problem, method, solver, tol, config):
    """Time and FLOPs of one gradient and of one plain solve with the same solver (timed in
    alternation, so that their ratio compares the same moments of a shared machine)."""
    grad, plain = gradient_call(problem, method, solver, tol), solve_call(problem, solver, tol)
    t_grad, t_solve = time_calls([grad, plain], **time_options(config))  # in alternation
    with ad.cost.meter() as m_grad:
        value, g = flat_gradient(grad())
    with ad.cost.meter() as m_solve:
        plain()
    return _row(problem, value=value, grad_norm=float(np.linalg.norm(g)),
                time=t_grad["time_median"], time_iqr=t_grad["time_iqr"],
                time_solve=t_solve["time_median"], time_solve_iqr=t_solve["time_iqr"],
                flops=m_grad.total_flops, flops_solve=m_solve.total_flops, ops=m_grad.ops,
                ops_solve=m_solve.ops, tape_bytes=m_grad.tape_bytes,
                peak_tape_bytes=m_grad.peak_tape_bytes, timer=t_grad["timer"])


def measure_error(problem, point, solver, config):
    """Relative error against the reference, or the failure (step limit, solver failure,
    non-finite gradient) as the status."""
    _, ref = reference(point["problem"], point["scale"], config["seed"])
    limit = {"max_steps": config["max_steps"]} if point["part"] == "robust" else {}
    call = gradient_call(problem, point["method"], solver, point["tol"], **limit)
    try:
        with np.errstate(all="ignore"):
            t = time_call(call, repeats=1, warmup=0)
            value, g = flat_gradient(call())
    except (RuntimeError, ArithmeticError, np.linalg.LinAlgError) as err:
        return _row(problem, error=math.inf, status=f"{type(err).__name__}: {err}"[:200])
    error = relative_error(g, ref)
    return _row(problem, value=value, grad_norm=float(np.linalg.norm(g)), error=error,
                status="ok" if math.isfinite(error) else "non-finite gradient",
                time=t["time_median"], timer=t["timer"])


def measure_memory(problem, point, solver, config):
    """Stored states and bytes (traced peak, largest tape) and recomputation of one gradient.

    The discrete adjoint runs through ``admodes.ode.discrete.adjoint``, which reports the
    states it held at once and the forward steps its checkpointing schedule recomputed.
    """
    tol = point["tol"] or 1e-6
    extra = {"steps": config["memory"]["steps"]} if solver in ("rk4", "euler") else {}
    counted = CountedRHS(problem.rhs)
    call = gradient_call(problem, point["method"], solver, tol, point["checkpoints"],
                         rhs=counted, **extra)
    with ad.cost.meter() as m:
        value, g = flat_gradient(call())
    row = {"rhs_calls": counted.calls, "tape_bytes": m.tape_bytes,
           "peak_tape_bytes": m.peak_tape_bytes, "flops": m.total_flops, "ops": m.ops}
    if point["method"] == "discrete":
        stats = discrete.adjoint(problem.loss, problem.rhs, problem.y0, problem.params,
                                 problem.t_span, problem.t_obs, rtol=tol, atol=tol,
                                 solver=solver, checkpoints=point["checkpoints"] or None,
                                 **extra)
        row.update(steps=stats.steps, advances=stats.advances, max_stored=stats.max_stored,
                   revolve_optimum=(checkpointing.forward_steps(stats.steps,
                                                                point["checkpoints"])
                                    if point["checkpoints"] else 0))
        _, full = flat_gradient(gradient_call(problem, "discrete", solver, tol, **extra)())
        row["error"] = relative_error(g, full)
    plain = solve_call(problem, solver, tol, **extra)
    return _row(problem, value=value, grad_norm=float(np.linalg.norm(g)),
                traced_bytes=traced_peak(call), traced_bytes_solve=traced_peak(plain), **row)


def target_error(problem, point, solver, config):
    """Relative error of the target point's gradient against the reference."""
    _, ref = reference(point["problem"], point["scale"], config["seed"])
    _, g = flat_gradient(gradient_call(problem, point["method"], solver, point["tol"])())
    return relative_error(g, ref)


# -- the torchdiffeq peer -------------------------------------------------------------------------

def neural_targets(problem):
    """The data d of a least-squares loss L = ½ Σ (ys − d)²: d = −∂L/∂ys at ys = 0."""
    zeros = np.zeros((len(problem.t_obs), problem.n_states))
    return -np.asarray(ad.grad(problem.loss)(zeros, problem.params))


def measure_peer(problem, tol, config):
    """torchdiffeq's adjoint (``odeint_adjoint``, dopri5, float64, one thread) on the neural
    ODE, and its plain solve; status ``not installed`` when torchdiffeq is absent."""
    try:
        import torch
        import torchdiffeq
    except ImportError:
        return _row(problem, status="not installed")
    dim = problem.n_states
    weights = torch.tensor(problem.params[:dim * dim].reshape(dim, dim), requires_grad=True)
    bias = torch.tensor(problem.params[dim * dim:], requires_grad=True)
    y0 = torch.tensor(problem.y0, requires_grad=True)
    targets = torch.tensor(neural_targets(problem))
    times = torch.tensor(np.concatenate([[problem.t_span[0]], problem.t_obs]))

    class Field(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weights, self.bias = torch.nn.Parameter(weights), torch.nn.Parameter(bias)

        def forward(self, t, y):
            return torch.tanh(self.weights @ y + self.bias)

    field = Field()
    options = {"rtol": tol, "atol": tol, "method": "dopri5"}

    def gradient():
        field.zero_grad()
        y0.grad = None
        ys = torchdiffeq.odeint_adjoint(field, y0, times, **options)
        loss = 0.5 * torch.sum((ys[1:] - targets) ** 2)
        loss.backward()
        return loss

    def plain():
        with torch.no_grad():
            return torchdiffeq.odeint(field, y0, times, **options)

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        t_grad = time_call(gradient, **time_options(config))
        t_solve = time_call(plain, **time_options(config))
        value = float(gradient().detach())
    finally:
        torch.set_num_threads(previous)
    g = np.concatenate([y0.grad.numpy().ravel(), field.weights.grad.numpy().ravel(),
                        field.bias.grad.numpy().ravel()])
    _, ref = reference("neural", problem.n_states, config["seed"])
    return _row(problem, solver_used="dopri5", value=value,
                grad_norm=float(np.linalg.norm(g)), error=relative_error(g, ref),
                time=t_grad["time_median"],
                time_iqr=t_grad["time_iqr"], time_solve=t_solve["time_median"],
                time_solve_iqr=t_solve["time_iqr"], timer=t_grad["timer"])


# -- the report ---------------------------------------------------------------------------------

STYLE = {"forward": {"color": "tab:blue", "marker": "o", "label": "forward sensitivities"},
         "discrete": {"color": "tab:red", "marker": "s", "label": "discrete adjoint"},
         "interpolating": {"color": "tab:green", "marker": "D",
                           "label": "interpolating adjoint"},
         "backsolve": {"color": "tab:orange", "marker": "^", "label": "backsolve adjoint"},
         PEER: {"color": "0.3", "marker": "x", "label": "torchdiffeq adjoint"}}
FAMILY = {"neural": "neural ODE tanh(Wy + b)", "heat": "heat equation (implicit solvers)"}


def with_ratios(data: pd.DataFrame) -> pd.DataFrame:
    data = data.copy()
    data["time_ratio"] = data["time"] / data["time_solve"]
    # a plain scipy solve of a right-hand side written on numpy constants runs no admodes op
    data["flops_ratio"] = data["flops"] / data["flops_solve"].where(data["flops_solve"] > 0)
    return data


def _cost_fits(cost, columns):
    rows = []
    for (family, method), group in cost.groupby(["problem", "method"], sort=False):
        if group["p"].nunique() < 3:
            continue
        row = {"problem": family, "method": method, "points": len(group)}
        for column in columns:
            values = group[column].dropna()
            row[f"{column}_slope"] = (loglog_slope(group.loc[values.index, "p"], values)["slope"]
                                      if len(values) >= 3 else math.nan)
        rows.append(row)
    return pd.DataFrame(rows)


def cost_fits(cost: pd.DataFrame) -> pd.DataFrame:
    """Log-log slope of the time and FLOP ratios against p, per family and method: the time
    ratio per host (``harness.hosts``), FLOPs over all rows."""
    fits = pooled_and_per_host(cost, _cost_fits, ("flops_ratio", "flops"), ("time_ratio",),
                               on=("problem", "method"))
    return fits[_ordered(fits, ("time_ratio_slope", "flops_ratio_slope", "flops_slope"))]


def _ordered(table, values):
    """``table``'s key columns (and ``host``), then ``values`` in that order."""
    return [c for c in table.columns if c not in values] + [c for c in values if c in table]


def _crossovers(cost, columns):
    rows = []
    for family, group in cost.groupby("problem", sort=False):
        group = group.sort_values("p")
        forward = group[group.method == "forward"].set_index("p")
        for method in ("discrete", "interpolating", "backsolve"):
            adjoint = group[group.method == method].set_index("p")
            common = forward.index.intersection(adjoint.index)
            if len(common) < 2:
                continue
            row = {"problem": family, "adjoint": method}
            for column in columns:
                ratio = forward.loc[common, column] / adjoint.loc[common, column]
                p_star = crossover(common, ratio)
                row[f"{column}_crossover_p"] = math.nan if p_star is None else p_star
                row[f"{column}_forward_over_adjoint_at_min_p"] = float(ratio.iloc[0])
                row[f"{column}_forward_over_adjoint_at_max_p"] = float(ratio.iloc[-1])
            rows.append(row)
    return pd.DataFrame(rows)


def crossovers(cost: pd.DataFrame) -> pd.DataFrame:
    """p where each adjoint overtakes forward sensitivities (forward / adjoint crosses 1): in
    time from the points of one host (``harness.hosts``), in FLOPs from all points."""
    cross = pooled_and_per_host(cost, _crossovers, ("flops",), ("time",),
                                on=("problem", "adjoint"))
    return cross[_ordered(cross, [f"{column}_{what}" for column in ("time", "flops") for what in
                                  ("crossover_p", "forward_over_adjoint_at_min_p",
                                   "forward_over_adjoint_at_max_p")])]


def _cost_figure(cost, directory):
    families = [f for f in FAMILY if (cost.problem == f).any()]
    fig, axes = figure(PAGE_WIDTH, 2.6 * 2, nrows=2, ncols=len(families), squeeze=False,
                       layout="constrained")
    for col, family in enumerate(families):
        group = cost[cost.problem == family]
        for row, (column, label) in enumerate((("time_ratio", "gradient / plain solve (time)"),
                                               ("flops", "admodes FLOPs of one gradient"))):
            ax = axes[row][col]
            hosts = by_host(group) if column == "time_ratio" else [(None, group)]
            for index, (host, rows) in enumerate(hosts):
                for method, part in rows.groupby("method", sort=False):
                    part = part.sort_values("p")
                    ax.plot(part["p"], part[column], **host_style(STYLE[method], host, index))
            log_axes(ax)
            ax.set_xlabel("p (parameters)")
            ax.set_ylabel(label)
            ax.set_title(f"({'ab'[row]}{col + 1}) {FAMILY[family]}")
    figure_legend(fig, axes[1][0], cost,  # methods (FLOPs row)
                  loc="outside lower center", ncols=4, frameon=False)
    save(fig, directory / "figures", "cost_vs_p")
    return "cost_vs_p"


def _accuracy_figure(accuracy, directory):
    fig, ax = figure(PAGE_WIDTH / 2, 2.8, layout="constrained")
    for method, part in accuracy.groupby("method", sort=False):
        part = part.sort_values("tol")
        ax.plot(part["tol"], part["error"].clip(lower=1e-16), **STYLE[method])
    ax.plot(accuracy["tol"].sort_values(), accuracy["tol"].sort_values(), color="0.6",
            linestyle=":", label="error = tol")
    log_axes(ax)
    ax.set_xlabel("solver tolerance rtol = atol")
    ax.set_ylabel("relative error of ∇L")
    ax.legend(frameon=False, fontsize=6)
    save(fig, directory / "figures", "accuracy_vs_tol")
    return "accuracy_vs_tol"


def _memory_figure(memory, directory):
    discrete = memory[memory.method == "discrete"].sort_values("checkpoints")
    checkpointed = discrete[discrete.checkpoints > 0]
    full = discrete[discrete.checkpoints == 0]
    fig, (ax_mem, ax_work) = figure(PAGE_WIDTH, 2.7, ncols=2, layout="constrained")
    ax_mem.plot(checkpointed["checkpoints"], checkpointed["traced_bytes"], **dict(
        STYLE["discrete"], label="discrete, checkpointed: traced peak"))
    ax_mem.plot(checkpointed["checkpoints"], checkpointed["peak_tape_bytes"], color="tab:red",
                marker="s", linestyle="--", fillstyle="none", label="largest tape")
    for method, style in (("discrete", "tab:red"), ("interpolating", "tab:green"),
                          ("backsolve", "tab:orange")):
        rows = full if method == "discrete" else memory[memory.method == method]
        if not rows.empty:
            ax_mem.axhline(rows["traced_bytes"].iloc[0], color=style, linestyle=":",
                           label=f"{method}{', full tape' if method == 'discrete' else ''}")
    log_axes(ax_mem)
    ax_mem.set_xlabel("checkpoints c")
    ax_mem.set_ylabel("bytes")
    ax_mem.set_title("(a) memory of one gradient")
    ax_mem.legend(frameon=False, fontsize=6)
    ax_work.plot(checkpointed["checkpoints"], checkpointed["advances"], **dict(
        STYLE["discrete"], label="measured: recomputed steps"))
    ax_work.plot(checkpointed["checkpoints"], checkpointed["revolve_optimum"], color="0.3",
                 linestyle="--", label="revolve optimum F(N, c)")
    ax_twin = ax_work.twinx()
    ax_twin.plot(checkpointed["checkpoints"], checkpointed["max_stored"], color="tab:purple",
                 marker="v", linestyle=":", label="states stored (right axis)")
    ax_twin.set_ylabel("states stored at once")
    ax_twin.grid(False)
    ax_work.set_xscale("log")
    ax_work.set_xlabel("checkpoints c")
    ax_work.set_ylabel("recomputed forward steps")
    ax_work.set_title(f"(b) recomputation ({int(discrete['steps'].iloc[0])} steps)")
    lines = ax_work.get_legend_handles_labels()
    twin = ax_twin.get_legend_handles_labels()
    ax_work.legend(lines[0] + twin[0], lines[1] + twin[1], frameon=False, fontsize=6)
    save(fig, directory / "figures", "memory_vs_checkpoints")
    return "memory_vs_checkpoints"


def _robust_figure(robust, directory):
    fig, axes = figure(PAGE_WIDTH, 2.7, ncols=2, layout="constrained")
    for ax, (family, xlabel) in zip(axes, (("vdp", "stiffness μ (Van der Pol)"),
                                           ("lorenz", "horizon t_end (Lorenz)"))):
        group = robust[robust.problem == family]
        for (method, solver), part in group.groupby(["method", "solver"], sort=False):
            part = part.sort_values("scale")
            error = part["error"].replace(math.inf, np.nan).clip(lower=1e-16)
            style = dict(STYLE[method], label=f"{method} ({solver})")
            if solver in ("RK45", "DOP853") and method == "backsolve":
                style["linestyle"] = "--"
            ax.plot(part["scale"], error, **style)
            failed = part[~np.isfinite(part["error"]) | (part["status"] != "ok")]
            ax.plot(failed["scale"], np.ones(len(failed)), linestyle="none", marker="X",
                    color=style["color"], markersize=6)
        log_axes(ax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("relative error of ∇L (X: failed)")
        ax.legend(frameon=False, fontsize=6)
    save(fig, directory / "figures", "stiff_and_chaotic")
    return "stiff_and_chaotic"


def _fmt_crossover(c, column):
    """The crossover p, or on which side of the sweep it lies."""
    if not pd.isna(c[f"{column}_crossover_p"]):
        return f"p ≈ {c[f'{column}_crossover_p']:.0f}"
    if pd.isna(c[f"{column}_forward_over_adjoint_at_min_p"]):
        return "n/a (fewer than two common p on one host)"
    if c[f"{column}_forward_over_adjoint_at_min_p"] > 1:
        return "p below the sweep (the adjoint wins everywhere)"
    return "p above the sweep (forward wins everywhere)"


def _target_findings(target):
    """The issue #5 targets, each neural ODE gradient time beside the peer's from the same host."""
    peer = target[target.method == PEER]
    peer_ms = (f"{1e3 * peer['time'].iloc[0]:.1f} ms measured"
               if not peer.empty and peer["status"].iloc[0] == "ok"
               else "about 26 ms quoted by issue #5, not measured")
    findings = []
    for _, r in target[target.method != PEER].iterrows():
        times = (f"{r['method']} gradient {1e3 * r['time']:.1f} ms = {r['time_ratio']:.1f}× its "
                 f"plain solve ({1e3 * r['time_solve']:.2f} ms")
        if r["problem"] == "neural":
            findings.append(f"Target (neural ODE, p = {int(r['p'])}, 1e-6): {times}; target "
                            f"≤ 6×), relative error {r['error']:.1e}; torchdiffeq's adjoint: "
                            f"{peer_ms}.")
        else:
            findings.append(f"Target (heat equation, p = {int(r['p'])}, {r['solver_used']}, "
                            f"{r['tol']:g}): {times}; target ≤ 5×), relative error "
                            f"{r['error']:.1e} (target ≤ 1e-6 with an implicit solver).")
    return findings


def report(data, directory, config):
    data = with_ratios(data)
    figures, tables, findings = [], [], []
    cost = data[data.part == "cost"]
    if not cost.empty:
        fits, cross = cost_fits(cost), crossovers(cost)
        figures.append((("Cost of one gradient relative to one plain solve with the same solver "
                        "versus the number of parameters p: wall time (top) and admodes FLOPs "
                        "(bottom)"), _cost_figure(cost, directory)))
        table = cost[["problem", "method", "solver_used", "p", *host_column(cost), "time", "time_solve",
                      "time_ratio", "flops_ratio"]]
        tables.append(("Cost by method and p", write_table(
            table, directory / "tables", "cost", caption=(
                "Time (s) of one gradient and one plain solve, and the gradient/solve ratios "
                "in time and FLOPs.")
        )["markdown"], "cost"))
        if not fits.empty:
            tables.append(("Slopes versus p", write_table(
                fits, directory / "tables", "slopes", caption=(
                    "Log-log slope against p of the gradient/solve ratio (time, FLOPs) and of the "
                    "gradient's FLOPs.")
            )["markdown"], "slopes"))
            for _, f in fits.iterrows():
                in_flops = ("" if np.isnan(f["flops_ratio_slope"]) else  # solve counted no op
                            f" and p^{f['flops_ratio_slope']:.2f} in FLOPs")
                findings.append(on_host(f.get("host"), (
                    f"{FAMILY.get(f['problem'], f['problem'])}, {f['method']}: gradient/solve "
                    f"ratio ∝ p^{f['time_ratio_slope']:.2f} in time{in_flops}; gradient FLOPs ∝ "
                    f"p^{f['flops_slope']:.2f}.")))
        if not cross.empty:
            tables.append(("Crossovers", write_table(
                cross, directory / "tables", "crossover", caption=(
                    "p where an adjoint overtakes forward sensitivities (forward/adjoint "
                    "crosses 1; empty: no crossing in the sweep), in time and FLOPs, and "
                    "forward/adjoint at the smallest and largest p.")
            )["markdown"], "crossover"))
            for _, c in cross.iterrows():
                findings.append(on_host(c.get("host"),
                    f"Crossover on the {FAMILY.get(c['problem'], c['problem'])}: the "
                    f"{c['adjoint']} adjoint overtakes forward sensitivities at "
                    f"{_fmt_crossover(c, 'time')} in time and {_fmt_crossover(c, 'flops')} in "
                    f"FLOPs; at the largest p forward costs "
                    f"{c['time_forward_over_adjoint_at_max_p']:.3g}× the adjoint in time "
                    f"(Ma et al. 2021: forward wins below roughly 100 parameters)."))
    accuracy = data[data.part == "accuracy"]
    if not accuracy.empty:
        figures.append((("Relative error of the gradient against the reference (forward "
                        "sensitivities, DOP853, 1e-12) versus the solver tolerance, "
                        "Lotka-Volterra"), _accuracy_figure(accuracy, directory)))
        pivot = accuracy.pivot_table(index="tol", columns="method", values="error")
        tables.append(("Accuracy versus tolerance", write_table(
            pivot.reset_index(), directory / "tables", "accuracy", caption=(
                "Relative error of ∇L against the reference per method and tolerance "
                "(Lotka-Volterra)."))["markdown"], "accuracy"))
        tight = accuracy[accuracy.tol == accuracy.tol.min()]
        findings.append("Accuracy at rtol = atol = " + f"{accuracy.tol.min():g}: " + ", ".join(
            f"{r['method']} {r['error']:.1e}" for _, r in tight.iterrows()) + "; at " +
            f"{accuracy.tol.max():g}: " + ", ".join(
            f"{r['method']} {r['error']:.1e}"
            for _, r in accuracy[accuracy.tol == accuracy.tol.max()].iterrows()) + ".")
    memory = data[data.part == "memory"].copy()
    if not memory.empty:
        figures.append(((f"Memory (left) and step evaluations (right) of one gradient of the "
                        f"neural ODE (dim {config['memory']['dim']}) through "
                        f"{config['memory']['steps']} RK4 steps: full tape vs c binomial "
                        f"checkpoints; dotted lines: full tape and the continuous adjoints "
                        f"(RK45)"), _memory_figure(memory, directory)))
        columns = ["method", "solver", "checkpoints", "traced_bytes", "peak_tape_bytes",
                   "max_stored", "advances", "revolve_optimum", "rhs_calls", "error"]
        tables.append(("Memory and recomputation", write_table(
            memory[columns], directory / "tables", "memory", caption=(
                "Traced peak and largest tape (bytes), states stored at once, recomputed "
                "forward steps and the revolve optimum F(N, c), right-hand-side evaluations, "
                "and the relative difference to the un-checkpointed gradient."))["markdown"], "memory"))
        discrete = memory[memory.method == "discrete"].sort_values("checkpoints")
        full, fewest = discrete.iloc[0], discrete[discrete.checkpoints > 0]
        if not fewest.empty:
            least = fewest.iloc[0]
            findings.append(
                f"Checkpointing ({config['memory']['steps']} RK4 steps): the full tape peaks "
                f"at {full['traced_bytes'] / 2**10:.0f} KiB with {int(full['rhs_calls'])} rhs "
                f"evaluations; with c = {int(least['checkpoints'])} checkpoints "
                f"{least['traced_bytes'] / 2**10:.0f} KiB and {int(least['rhs_calls'])} rhs "
                f"evaluations, {int(least['max_stored'])} states stored and {int(least['advances'])} "
                f"recomputed steps (revolve optimum {int(least['revolve_optimum'])}); "
                f"gradients equal the full tape's to "
                f"{discrete['error'].max():.1e}.")
        for method in ("interpolating", "backsolve"):
            rows = memory[memory.method == method]
            if not rows.empty:
                findings.append(f"{method} adjoint: traced peak "
                                f"{rows['traced_bytes'].iloc[0] / 2**10:.0f} KiB.")
    robust = data[data.part == "robust"]
    if not robust.empty:
        figures.append((("Error against the reference on Van der Pol as the stiffness μ grows "
                        "(left) and on Lorenz as the horizon grows (right); X marks a failure"),
                        _robust_figure(robust, directory)))
        tables.append(("Stiff and chaotic problems", write_table(
            robust[["problem", "scale", "method", "solver", "error", "time", "status"]],
            directory / "tables", "robust", caption=(
                "Relative error against the reference, time (s) and status per method on "
                "Van der Pol (scale = μ) and Lorenz (scale = t_end)."))["markdown"], "robust"))
        for family in ("vdp", "lorenz"):
            group = robust[robust.problem == family]
            if group.empty:
                continue
            top = group[group.scale == group.scale.max()]
            findings.append(
                f"{'Van der Pol μ' if family == 'vdp' else 'Lorenz t_end'} = "
                f"{group.scale.max():g}: " + ", ".join(
                    f"{r['method']}/{r['solver']} "
                    f"{'failed' if r['status'] != 'ok' else format(r['error'], '.1e')}"
                    for _, r in top.iterrows()) + ".")
    target = data[data.part == "target"]
    if not target.empty:
        table = target[["problem", "method", "solver_used", "tol", "p", "time", "time_solve",
                        "time_ratio", "error", "status"]].copy()
        table["time_ms"], table["time_solve_ms"] = 1e3 * table["time"], 1e3 * table["time_solve"]
        tables.append(("Issue #5 targets", write_table(
            table[["problem", "method", "solver_used", "tol", "status", "p", "time_ms",
                   "time_solve_ms", "time_ratio", "error"]],
            directory / "tables", "targets", caption=(
                "One thread: one gradient and one plain solve with the same solver (ms), their "
                "ratio and the relative error against the reference. Targets: neural ODE, "
                "dim = 31 (p = 992), 1e-6: ratio ≤ 6 for the discrete and interpolating "
                "adjoints; heat equation, p = 300: ratio ≤ 5 for the interpolating adjoint with "
                "an implicit solver, relative error ≤ 1e-6."))["markdown"], "targets"))
        findings += findings_per_host(target, _target_findings)
    setup = (f"Gradients by admodes.ode.gradient; default solvers: dopri5 (discrete), RK45 "
             f"(continuous methods), and rodas4 / BDF on stiff problems (heat). Cost sweep: "
             f"neural ODE dim ∈ {config['cost_sizes'].get('neural')} (p = dim² + dim), heat n ∈ "
             f"{config['cost_sizes'].get('heat')} (p = n), rtol = atol = {config['cost_tol']}; "
             f"plain solve = ode.solve with the same solver. FLOPs from ad.cost.meter() count "
             f"admodes ops only (not scipy's internal work). Accuracy: Lotka-Volterra, tolerances "
             f"{config['accuracy_tols']}. Memory: neural ODE dim {config['memory']['dim']}, "
             f"{config['memory']['steps']} RK4 steps, checkpoints "
             f"{config['memory']['checkpoints']} (0 = full tape); traced peak by tracemalloc. "
             f"Robustness: Van der Pol μ ∈ {config['vdp_mu']} (rtol = atol = 1e-6), Lorenz "
             f"t_end ∈ {config['lorenz_t']} (1e-8), at most {config['max_steps']} steps per solve. Times: "
             f"median of up to {config['repeats']} repeats; BLAS threads {config['threads']}, "
             f"seed {config['seed']}.")
    return {"setup": setup, "findings": findings, "figures": figures, "tables": tables}
