"""Implicit differentiation vs differentiating through the solver's iterations (unrolling).

What: the gradient of a loss of a solution x(θ) that an iterative solver finds in k
iterations, computed two ways: *unrolled*, reverse mode through the k iterations (``ad.grad``
of the solver written with ``admodes.numpy``), and *implicit*, by the implicit function
theorem (``ad.lax.custom_linear_solve`` / ``ad.lax.custom_root``: the same k-iteration solver
for x, and once more for the adjoint system, nothing recorded inside). Swept over k, on two
problems: (1) ``poisson``: a 1-D diffusion problem Dᵀ diag(e^θ) D x = b with one
conductivity per cell (p = n + 1 parameters), solved by conjugate gradients (CG); (2)
``equilibrium``: the fixed point z = tanh(W z + c) of a contractive layer (a deep equilibrium
model, p = n² + n parameters), solved by fixed-point iteration. Measured per k: the relative
error of x and of the gradient against the exact solution and gradient (a dense solve and the
theorem in closed form), the tape of the gradient (bytes of residual arrays, counted by
``admodes.cost``), the time of the gradient relative to one solve, and the derivative along
a random direction v by reverse mode (g·v) and by forward mode (one JVP through the same
computation), which tells an inaccurate derivative of the iterates from an inaccurate sweep.
Synonyms: implicit
function theorem, adjoint of an iterative solver, differentiating through the unrolled loop,
one-step/Jacobian-free backprop (not used here), deep equilibrium models.

Theory. For x(θ) with F(x, θ) = 0 the theorem gives θ̄ = −(∂F/∂θ)ᵀ λ with (∂F/∂x)ᵀ λ = x̄: one
adjoint solve, whatever produced x, with memory independent of k (Griewank & Walther 2008,
ch. 15; Blondel et al. 2022). Its error is bounded by the errors of x and of the adjoint
solve (Blondel et al. 2022, Thm. 1). Unrolling differentiates the k iterations themselves:
the tape grows linearly in k, and for a contractive fixed-point iteration the derivative of
the k-th iterate converges to the true derivative at the iteration's rate, lagging behind the
iterates by a factor that grows like k (Gilbert 1992; Griewank & Walther 2008, ch. 15). CG is
not a fixed-point iteration (its coefficients depend on the iterates), and the derivative
of its iterates need not converge as smoothly as the iterates (Gilbert 1992, on Krylov
methods); in exact arithmetic it reaches the solution in n steps. Forward and reverse mode
compute the same derivative of the same iterates in exact arithmetic, but in floating point
they round differently: the reverse sweep runs the transposed recurrence backwards, and the
transpose of a numerically stable recurrence need not be stable.

Cost: small (n = 64 cells and a 16-unit layer in the quick run; k up to a few hundred).

References: see REFERENCES.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import admodes as ad
import admodes.numpy as anp
from experiments.harness.timing import time_calls, time_options
from experiments.reporting.figures import PAGE_WIDTH, figure, log_axes, save
from experiments.reporting.tables import write_table

TITLE = "Implicit differentiation vs unrolling an iterative solver"
QUESTION = ("How accurate, how large and how fast is a gradient through an iterative solver "
            "when the iterations are differentiated (unrolled) and when the solution is "
            "differentiated by the implicit function theorem?")
REFERENCES = (
    ("Griewank, A. & Walther, A. (2008). Evaluating Derivatives, 2nd ed. SIAM, ch. 15 "
     "(implicit and iterative differentiation). doi:10.1137/1.9780898717761"),
    ("Gilbert, J. C. (1992). Automatic differentiation and iterative processes. Optimization "
     "Methods and Software 1(1), 13-21. doi:10.1080/10556789208805503"),
    ("Blondel, M., Berthet, Q., Cuturi, M., Frostig, R., Hoyer, S., Llinares-López, F., "
     "Pedregosa, F. & Vert, J.-P. (2022). Efficient and modular implicit differentiation. "
     "NeurIPS 35. arXiv:2105.15183"),
    ("Bai, S., Kolter, J. Z. & Koltun, V. (2019). Deep equilibrium models. NeurIPS 32. "
     "arXiv:1909.01377"),
    ("Hestenes, M. R. & Stiefel, E. (1952). Methods of conjugate gradients for solving linear "
     "systems. J. Res. Natl. Bur. Stand. 49(6), 409-436. doi:10.6028/jres.049.044"),
)
KEY_FIELDS = ("problem", "method", "iterations")
PROBLEMS = ("poisson", "equilibrium")
METHODS = ("unrolled", "implicit")
COLUMNS = ("x_error", "grad_error", "rev_dot_error", "fwd_dot_error", "tape_bytes",
           "tape_records", "time_ratio", "iterations_run")

QUICK = {"cells": 64, "units": 16, "contraction": 0.6, "min_time": 0.01,
         "iterations": {"poisson": [4, 8, 16, 32, 48, 56, 64, 72, 80, 96],
                        "equilibrium": [2, 4, 6, 8, 12, 16, 24, 32, 48]},
         "repeats": 5, "max_time": 3.0}
FULL = {"cells": 128, "units": 32, "contraction": 0.6, "min_time": 0.02,
        "iterations": {"poisson": [8, 16, 32, 64, 96, 112, 128, 144, 160, 192, 256],
                       "equilibrium": [2, 4, 6, 8, 12, 16, 24, 32, 48, 64]},
        "repeats": 7, "max_time": 10.0}

STYLE = {"unrolled": {"color": "tab:red", "marker": "o", "linestyle": "-",
                      "label": "unrolled (reverse mode through the iterations)"},
         "implicit": {"color": "tab:green", "marker": "s", "linestyle": "--",
                      "label": "implicit (custom_linear_solve / custom_root)"},
         "x": {"color": "0.4", "marker": "", "linestyle": ":",
               "label": "error of the solution x"},
         "forward": {"color": "tab:blue", "marker": "^", "linestyle": "-.",
                     "label": "unrolled, forward mode (JVP along v)"}}


# -- the solvers (admodes.numpy: differentiable when unrolled) ----------------------------------

def conjugate_gradient(matvec, b, iterations):
    """k iterations of CG for ``matvec(x) = b`` from x = 0 (Hestenes & Stiefel 1952); stops
    early once the recursive residual is 1e-15 of ‖b‖ (converged to machine precision; further
    steps would divide by an underflowing residual). Returns (x, iterations run)."""
    x = anp.zeros_like(b)
    r = b
    p = r
    rs = anp.sum(r * r)
    floor = 1e-30 * float(ad.primal_value(rs))
    for k in range(iterations):
        if float(ad.primal_value(rs)) <= floor:
            return x, k
        Ap = matvec(p)
        alpha = rs / anp.sum(p * Ap)
        x = x + alpha * p
        r = r - alpha * Ap
        rs_new = anp.sum(r * r)
        p = r + (rs_new / rs) * p
        rs = rs_new
    return x, iterations


def fixed_point(step, z, iterations):
    """k iterations z ← step(z)."""
    for _ in range(iterations):
        z = step(z)
    return z


# -- the problems ----------------------------------------------------------------------------

def poisson_problem(cells, seed):
    """D (n+1, n): the differences of n interior nodes with zero ends; θ: log-conductivities
    of the n + 1 cells; b: a unit source; the target x from other conductivities."""
    rng = np.random.default_rng([seed, 1, cells])
    D = np.eye(cells + 1, cells) - np.eye(cells + 1, cells, k=-1)
    theta = 0.5 * rng.standard_normal(cells + 1)
    b = np.full(cells, 1.0 / cells)
    target = np.linalg.solve(D.T @ np.diag(np.exp(theta + 0.3)) @ D, b)
    return {"D": D, "theta": theta, "b": b, "target": target}


def equilibrium_problem(units, contraction, seed):
    """W with spectral norm ``contraction`` (so z ↦ tanh(Wz + c) contracts), c, a target;
    θ = (W raveled, c)."""
    rng = np.random.default_rng([seed, 2, units])
    W = rng.standard_normal((units, units))
    W *= contraction / np.linalg.norm(W, 2)
    c = rng.standard_normal(units)
    target = 0.5 * rng.standard_normal(units)
    return {"theta": np.concatenate([W.ravel(), c]), "units": units, "target": target}


def _poisson_operator(problem, theta):
    D = problem["D"]
    return lambda v: D.T @ (anp.exp(theta) * (D @ v))


def _equilibrium_parts(problem, theta):
    n = problem["units"]
    return anp.reshape(theta[:n * n], (n, n)), theta[n * n:]


def make_loss(problem_name, problem, method, iterations):
    """``theta ↦ (½‖x(θ) − target‖², iterations run)`` with x from ``iterations`` solver
    steps, unrolled or differentiated implicitly."""
    target = problem["target"]
    if problem_name == "poisson":
        def solve_x(theta):
            matvec = _poisson_operator(problem, theta)
            if method == "unrolled":
                return conjugate_gradient(matvec, problem["b"], iterations)
            run = []

            def solve(mv, rhs):
                x, k = conjugate_gradient(mv, rhs, iterations)
                run.append(k)
                return x
            x = ad.lax.custom_linear_solve(matvec, problem["b"], solve, symmetric=True)
            return x, run[0]
    else:
        def solve_x(theta):
            W, c = _equilibrium_parts(problem, theta)
            z0 = np.zeros(problem["units"])
            if method == "unrolled":
                return fixed_point(lambda z: anp.tanh(W @ z + c), z0, iterations), iterations

            def solve(f, z):
                return fixed_point(lambda u: u - f(u), z, iterations)

            def tangent_solve(g, y):  # the n×n Jacobian of the linearization, by forward mode
                return np.linalg.solve(ad.jacfwd(g)(y), y)
            z = ad.lax.custom_root(lambda z: z - anp.tanh(W @ z + c), z0, solve, tangent_solve)
            return z, iterations

    def loss(theta):
        x, k = solve_x(theta)
        r = x - target
        return 0.5 * anp.sum(r * r), (x, k)
    return loss


def exact(problem_name, problem):
    """The exact solution and gradient: a dense solve (poisson) or the converged fixed point
    (equilibrium), and the implicit function theorem in closed form."""
    theta, target = problem["theta"], problem["target"]
    if problem_name == "poisson":
        D, k = problem["D"], np.exp(theta)
        A = D.T @ (k[:, None] * D)
        x = np.linalg.solve(A, problem["b"])
        lam = np.linalg.solve(A, x - target)  # A symmetric: Aᵀ λ = x̄
        return x, -k * (D @ lam) * (D @ x)  # ∂(Ax)/∂θ_j = k_j (D x)_j D_j·
    n = problem["units"]
    W, c = theta[:n * n].reshape(n, n), theta[n * n:]
    z = np.zeros(n)
    for _ in range(10_000):
        z_next = np.tanh(W @ z + c)
        if np.array_equal(z_next, z):
            break
        z = z_next
    s = 1.0 - z ** 2  # F(z, θ) = z − tanh(Wz + c): ∂F/∂z = I − diag(s) W
    lam = np.linalg.solve((np.eye(n) - s[:, None] * W).T, z - target)
    u = s * lam  # θ̄ = −(∂F/∂θ)ᵀ λ: W̄ = (s ⊙ λ) zᵀ, c̄ = s ⊙ λ
    return z, np.concatenate([np.outer(u, z).ravel(), u])


def make_problem(problem_name, config):
    if problem_name == "poisson":
        return poisson_problem(config["cells"], config["seed"])
    return equilibrium_problem(config["units"], config["contraction"], config["seed"])


# -- the sweep -------------------------------------------------------------------------------

def points(config):
    for problem in PROBLEMS:
        for iterations in config["iterations"][problem]:
            for method in METHODS:
                yield {"problem": problem, "method": method, "iterations": iterations}


def measure(point, config):
    name = point["problem"]
    problem = make_problem(name, config)
    loss = make_loss(name, problem, point["method"], point["iterations"])
    theta = problem["theta"]
    gradient = ad.grad(loss, has_aux=True)
    x_exact, g_exact = exact(name, problem)
    with ad.cost.meter() as meter:
        g, (x, run) = gradient(theta)
    v = np.random.default_rng([config["seed"], 3]).standard_normal(theta.size)
    tangent = ad.jvp(lambda t: loss(t)[0], (theta,), (v,))[1]  # forward mode, same solver
    exact_dot = float(g_exact @ v)
    plain = make_loss(name, problem, "unrolled", point["iterations"])
    t_solve, t_grad = time_calls([lambda: plain(theta), lambda: gradient(theta)],
                                 **time_options(config))
    return {"x_error": _relative(ad.primal_value(x), x_exact), "grad_error": _relative(g, g_exact),
            "rev_dot_error": abs(float(g @ v) - exact_dot) / abs(exact_dot),
            "fwd_dot_error": abs(float(tangent) - exact_dot) / abs(exact_dot),
            "tape_bytes": meter.peak_tape_bytes, "tape_records": meter.tape_records,
            "time_ratio": t_grad["time_median"] / t_solve["time_median"], "iterations_run": run}


def _relative(value, reference):
    return float(np.linalg.norm(np.asarray(value) - reference) / np.linalg.norm(reference))


# -- the report ------------------------------------------------------------------------------

def summary(data) -> pd.DataFrame:
    """Per problem and method (medians over hosts): the fewest iterations giving a gradient
    to 1e-6 relative, and the tape and time ratio at the most iterations."""
    rows = []
    for (problem, method), part in data.groupby(["problem", "method"], sort=False):
        part = part.groupby("iterations", as_index=False).median(numeric_only=True)
        accurate = part[part.grad_error <= 1e-6]
        last = part.iloc[-1]
        rows.append({"problem": problem, "method": method,
                     "iterations to 1e-6 (gradient)": (int(accurate.iterations.min())
                                                       if not accurate.empty else None),
                     "iterations to 1e-6 (x)": (int(part[part.x_error <= 1e-6].iterations.min())
                                                if (part.x_error <= 1e-6).any() else None),
                     "most iterations": int(last.iterations),
                     "gradient error there": last.grad_error,
                     "tape bytes there": int(last.tape_bytes),
                     "grad / solve time there": last.time_ratio})
    return pd.DataFrame(rows)


def _tape_slope(part):
    """Tape bytes added per iteration (least squares over the sweep)."""
    if part.iterations.nunique() < 2:
        return float("nan")
    return float(np.polyfit(part.iterations, part.tape_bytes, 1)[0])


def _figure(data, directory):
    fig, axes = figure(PAGE_WIDTH, 4.9, nrows=2, ncols=3, layout="constrained", squeeze=False)
    for row, problem in enumerate(PROBLEMS):
        rows = data[data.problem == problem]
        err, tape, time = axes[row]
        for method in METHODS:
            part = rows[rows.method == method].groupby("iterations", as_index=False).median(
                numeric_only=True)
            style = STYLE[method]
            err.plot(part.iterations, part.grad_error.clip(lower=1e-17), **style)
            tape.plot(part.iterations, part.tape_bytes.clip(lower=1), **style)
            time.plot(part.iterations, part.time_ratio, **style)
            if method == "unrolled":
                err.plot(part.iterations, part.x_error.clip(lower=1e-17), **STYLE["x"])
                err.plot(part.iterations, part.fwd_dot_error.clip(lower=1e-17),
                         **STYLE["forward"])
        err.set_yscale("log")
        err.set_ylabel("relative error")
        err.set_title(f"{problem}: gradient error")
        log_axes(tape)
        tape.set_ylabel("tape bytes")
        tape.set_title(f"{problem}: memory of the gradient")
        time.set_ylabel("t(gradient) / t(solve)")
        time.set_title(f"{problem}: time")
        for ax in (err, tape, time):
            ax.set_xlabel("solver iterations k")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, frameon=False, fontsize=6)
    save(fig, directory / "figures", "implicit_vs_unrolled")
    return "implicit_vs_unrolled"


def report(data, directory, config):
    table = summary(data)
    t1 = write_table(table, directory / "tables", "summary",
                     caption=("Per problem and method: the fewest solver iterations for which "
                              "the gradient (and the solution) is within 1e-6 relative of the "
                              "exact one, and at the most iterations swept the gradient's error, "
                              "its tape and its time relative to one solve."))
    detail = data[list(KEY_FIELDS) + list(COLUMNS)]
    t2 = write_table(detail, directory / "tables", "points",
                     caption=("Every point: errors relative to the exact values (of x, of the gradient, and "
             "of the derivative along v by reverse and by forward mode), tape, time ratio."))
    setup = (f"poisson: n = {config['cells']} nodes, p = {config['cells'] + 1} "
             f"log-conductivities, CG from x = 0; equilibrium: {config['units']} units, W of "
             f"spectral norm {config['contraction']}, p = {config['units'] ** 2 + config['units']}"
             f", fixed-point iteration from z = 0, tangent solves with the dense Jacobian. Loss "
             f"½‖x − target‖². Exact references: a dense solve / the fixed point iterated to "
             f"stagnation, and the implicit function theorem in closed form. Tape bytes from "
             f"admodes.cost.meter; times are medians of {config['repeats']} alternating samples "
             f"on one BLAS thread.")
    figures = [(("Gradient error (left), tape memory (middle) and time relative to one solve "
                 "(right) against the number of solver iterations k, for reverse mode through the "
                 "iterations and for the implicit function theorem; top: CG on the diffusion "
                 "problem, bottom: fixed-point iteration of the equilibrium layer. The dotted "
                 "line is the error of the solution itself."), _figure(data, directory))]
    return {"setup": setup, "findings": findings(data, table), "figures": figures,
            "tables": [("Summary per problem and method", t1["markdown"], "summary"),
                       ("Every point", t2["markdown"], "points")]}


def findings(data, table) -> list[str]:
    out = []
    for problem in PROBLEMS:
        rows = table[table.problem == problem].set_index("method")
        if set(METHODS) - set(rows.index):
            continue
        unrolled, implicit = rows.loc["unrolled"], rows.loc["implicit"]
        points = data[data.problem == problem]
        slopes = {m: _tape_slope(points[points.method == m]) for m in METHODS}
        out.append(
            f"{problem}: the gradient is within 1e-6 of the exact one after "
            f"{_count(implicit['iterations to 1e-6 (gradient)'])} iterations implicitly and "
            f"{_count(unrolled['iterations to 1e-6 (gradient)'])} unrolled (the solution "
            f"itself after {_count(unrolled['iterations to 1e-6 (x)'])}); at "
            f"k = {unrolled['most iterations']} the errors are "
            f"{implicit['gradient error there']:.2g} (implicit) and "
            f"{unrolled['gradient error there']:.2g} (unrolled).")
        lags = {m: _lag(points[points.method == m]) for m in METHODS}
        out.append(
            f"{problem}: gradient error / solution error, median over the iterations where the "
            f"solution's error is between 1e-12 and 1e-1: {lags['unrolled']:.3g} unrolled, "
            f"{lags['implicit']:.3g} implicit "
            f"({_lag_reading(lags, _lag(points[points.method == 'unrolled'], 'fwd_dot_error'))}).")
        unrolled_points = points[points.method == "unrolled"]
        worst = unrolled_points.loc[unrolled_points.rev_dot_error.idxmax()]
        same_k = points[(points.method == "implicit") & (points.iterations == worst.iterations)]
        other = same_k.iloc[0] if not same_k.empty else None
        out.append(
            f"{problem}: the derivative along a random v at k = {int(worst.iterations)} (the "
            f"worst k for unrolled reverse mode; the solution's error there is "
            f"{worst.x_error:.2g}) is off by {worst.rev_dot_error:.2g} (relative) by unrolled "
            f"reverse mode and {worst.fwd_dot_error:.2g} by unrolled forward mode"
            + ("" if other is None else
               f", and by {other.rev_dot_error:.2g} (reverse) and {other.fwd_dot_error:.2g} "
               f"(forward) implicitly, whose tangent and adjoint solves get the same k "
               f"iterations on other right-hand sides") + ".")
        out.append(
            f"{problem}: the unrolled tape grows by {slopes['unrolled']:,.0f} bytes per "
            f"iteration, to {unrolled['tape bytes there']:,} bytes at k = "
            f"{unrolled['most iterations']}; the implicit gradient's tape stays at "
            f"{implicit['tape bytes there']:,} bytes ({slopes['implicit']:+,.0f} per "
            f"iteration): memory independent of k. Gradient time / solve time at that k: "
            f"{unrolled['grad / solve time there']:.2g} unrolled, "
            f"{implicit['grad / solve time there']:.2g} implicit (one more solve for the "
            f"adjoint, without recording).")
    return out


def _lag(part, column="grad_error"):
    """Median of (error of ``column``) / (error of x) where x's error is in [1e-12, 1e-1]."""
    middle = part[(part.x_error >= 1e-12) & (part.x_error <= 1e-1)]
    return float((middle[column] / middle.x_error).median()) if not middle.empty else np.nan


def _lag_reading(lags, forward):
    """What the lags say; ``forward``: the lag of unrolled forward mode (along v)."""
    unrolled, implicit = lags["unrolled"], lags["implicit"]
    if unrolled > 100 * forward:
        return (f"unrolled reverse mode is far less accurate than forward mode through the same "
                f"iterations (whose ratio along v is {forward:.3g}): the reverse sweep's rounding, not the "
                f"derivative of the iterates, is at fault")
    if unrolled > 2 * implicit:
        return ("the derivative of the unrolled iterates lags behind the iterates (Gilbert 1992), "
                "while the implicit gradient is about as accurate as x (Blondel et al. 2022, "
                "Thm. 1)")
    if implicit > 2 * unrolled:
        return ("here the implicit gradient is the less accurate: its adjoint solve is "
                "truncated at the same k as the solve of x, and the gradient's error is bounded "
                "by both errors (Blondel et al. 2022, Thm. 1)")
    return "within a factor 2 of each other"


def _count(value):
    return "no swept number of" if value is None or pd.isna(value) else f"{int(value)}"
