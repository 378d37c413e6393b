"""Gradient of a scalar loss with n parameters: reverse mode O(C), forward mode O(nC).

What: the cost of ∇L for the mean squared error L(θ) of a small tanh MLP on a fixed batch,
relative to one evaluation of L, as the number of parameters n grows, by forward mode (one
JVP per parameter, and vector mode in chunks), reverse mode and central differences; counted
as FLOPs, primitive ops and wall time. Synonyms: reverse mode = backpropagation = adjoint
mode; forward mode = tangent-linear mode.

Theory (Griewank & Walther 2008, ch. 3-4; Baydin et al. 2018): L maps R^n to R (m = 1). Forward
mode needs one JVP per input direction, n passes costing O(C) each: O(nC). Reverse mode
records one forward pass and makes one reverse sweep: O(C) whatever n. This is the cheap
gradient principle, cost(∇L) ≤ ω·cost(L) with a small constant ω (at most 4-5 in Griewank &
Walther's operation-count model). Central differences need 2n evaluations of L, O(nC), with
error O(ε²) + O(u/ε) (u the unit roundoff). So cost(∇L)/cost(L) should grow like n^1 for forward
mode and differences and be flat (log-log slope 0) for reverse mode.

When reverse wins: always, for a scalar loss with more than a handful of parameters; it is why
networks with millions of parameters can be trained by gradient descent (Rumelhart, Hinton &
Williams 1986). Forward mode wins only when n is of the order of ω or smaller, or when the
memory of the recorded forward pass is the constraint (see ``tape_memory``).

Cost (as measured here): forward mode one direction per pass ≈ 3n·C FLOPs in n interpreter
passes; forward vector mode pushes k directions per pass, so the primal part is computed
⌈n/k⌉ times instead of n (≈ 2n·C FLOPs) and the interpreter overhead is paid ⌈n/k⌉ times, but
its tangents take k times the memory of the primal values plus the k×n seed block, so k is
capped (``CHUNK``); reverse mode ≈ 3.2·C FLOPs and a tape of the forward pass; differences
2n·C plus the perturbed inputs.

Network family ("fixed network shape"): INPUTS -> w -> w -> OUTPUTS, tanh hidden layers, mean
squared error on a seeded batch of BATCH examples; the n = w² + (INPUTS + OUTPUTS + 2)·w +
OUTPUTS parameters are ONE flat vector, unflattened inside L by slicing and reshaping. Depth,
input/output sizes and the ratio of the hidden widths are fixed and only w varies, so FLOPs(L)
is proportional to n (up to the O(w) bias/tanh terms).

References: Baydin et al. (2018), JMLR 18(153); Griewank & Walther (2008),
doi:10.1137/1.9780898717761; Rumelhart, Hinton & Williams (1986), doi:10.1038/323533a0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import admodes as ad
import admodes.numpy as anp
from experiments.harness.costs import cost_columns, with_cost_ratios
from experiments.harness.fitting import loglog_slope
from experiments.harness.hosts import (
    by_host,
    findings_per_host,
    host_column,
    host_style,
    pooled_and_per_host,
)
from experiments.harness.timing import time_call, time_options
from experiments.reporting.figures import METHOD_STYLE, PAGE_WIDTH, figure, log_axes, save
from experiments.reporting.tables import write_table

TITLE = "Gradient of a scalar loss: reverse O(C) vs forward O(nC)"
QUESTION = ("How does the cost of the gradient of a scalar loss with n parameters grow with n "
            "in reverse mode, forward mode and finite differences?")
REFERENCES = (
    ("Baydin, A. G., Pearlmutter, B. A., Radul, A. A. & Siskind, J. M. (2018). Automatic "
     "differentiation in machine learning: a survey. JMLR 18(153), 1-43."),
    ("Griewank, A. & Walther, A. (2008). Evaluating Derivatives, 2nd ed. SIAM, ch. 3-4. "
     "doi:10.1137/1.9780898717761"),
    ("Rumelhart, D. E., Hinton, G. E. & Williams, R. J. (1986). Learning representations by "
     "back-propagating errors. Nature 323, 533-536. doi:10.1038/323533a0"),
)
KEY_FIELDS = ("n", "method")
METHODS = ("jacfwd_1", "jacfwd_vec", "grad", "fd")
INPUTS, OUTPUTS, BATCH = 4, 2, 16
CHUNK = 256   # directions per forward vector-mode pass (bounds tangent memory)
EPS = 1e-6    # central-difference step

# Widths w (n = w² + 8w + 2): forward mode and differences stop at n <= max_n_forward.
QUICK = {"widths": [1, 2, 4, 8, 16, 30, 100, 316], "max_n_forward": 1200,
         "repeats": 5, "min_time": 0.01, "max_time": 2.0}
FULL = {"widths": [1, 2, 3, 6, 10, 18, 32, 56, 100, 178, 316, 562, 1000],
        "max_n_forward": 11000, "repeats": 5, "min_time": 0.05, "max_time": 5.0}


# -- the loss -----------------------------------------------------------------------------------

def layer_shapes(width):
    """Shapes of (W1, b1, W2, b2, W3, b3) for INPUTS -> width -> width -> OUTPUTS."""
    return [(INPUTS, width), (width,), (width, width), (width,), (width, OUTPUTS), (OUTPUTS,)]


def parameter_count(width) -> int:
    return sum(int(np.prod(s)) for s in layer_shapes(width))


def make_loss(width, seed):
    """L(θ) = mean((MLP_θ(X) − Y)²) on a seeded batch, and a seeded initial θ (flat, length n).

    θ is unflattened inside L by slicing and reshaping, so the transforms see one input vector
    of n entries, as an optimizer does.
    """
    rng = np.random.default_rng([seed, width])
    x = rng.standard_normal((BATCH, INPUTS))
    y = rng.standard_normal((BATCH, OUTPUTS))
    slices, offset = [], 0
    for shape in layer_shapes(width):
        size = int(np.prod(shape))
        slices.append((offset, offset + size, shape))
        offset += size

    def loss(theta):
        w1, b1, w2, b2, w3, b3 = (theta[lo:hi].reshape(shape) for lo, hi, shape in slices)
        h = anp.tanh(x @ w1 + b1)
        h = anp.tanh(h @ w2 + b2)
        return anp.mean((h @ w3 + b3 - y) ** 2)

    # Glorot-like scale: weights ~ N(0, 1/fan_in), biases ~ N(0, 0.01).
    theta = np.concatenate([rng.standard_normal(int(np.prod(s))) *
                            (1 / np.sqrt(s[0]) if len(s) == 2 else 0.1)
                            for s in layer_shapes(width)])
    return loss, theta


def central_differences(loss, theta, eps=EPS):
    """∂L/∂θ_i ≈ (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε: 2n evaluations of L."""
    n = theta.shape[0]
    entries = []
    for i in range(n):
        e = np.zeros(n)
        e[i] = eps
        entries.append((loss(theta + e) - loss(theta - e)) / (2 * eps))
    return anp.stack(entries)


def gradient_method(method, loss):
    """The gradient function of ``method``."""
    return {"jacfwd_1": ad.jacfwd(loss, chunk_size=1),
            "jacfwd_vec": ad.jacfwd(loss, chunk_size=CHUNK),
            "grad": ad.grad(loss),
            "fd": lambda theta: central_differences(loss, theta)}[method]


# -- the sweep ----------------------------------------------------------------------------------

def points(config):
    for width in config["widths"]:
        n = parameter_count(width)
        for method in METHODS:
            if method == "grad" or n <= config["max_n_forward"]:
                yield {"n": n, "width": width, "method": method}


def measure(point, config):
    loss, theta = make_loss(point["width"], config["seed"])
    if theta.shape[0] != point["n"]:
        raise ValueError(f"width {point['width']} gives {theta.shape[0]} parameters, "
                         f"expected n = {point['n']}")
    gradient = gradient_method(point["method"], loss)
    _, f_cost = ad.cost.measure(loss, theta)
    result, cost = ad.cost.measure(gradient, theta)
    reference = ad.grad(loss)(theta)
    error = float(np.max(np.abs(np.asarray(result) - reference)))
    timing = time_options(config)
    f_time = time_call(lambda: loss(theta), **timing)
    g_time = time_call(lambda: gradient(theta), **timing)
    return {**cost_columns(cost, f_cost, g_time, f_time), "max_abs_error": error,
            "grad_norm": float(np.linalg.norm(reference))}


# -- the report ---------------------------------------------------------------------------------

def _slopes(data: pd.DataFrame, measures) -> pd.DataFrame:
    rows = []
    for method in METHODS:
        sub = data[data["method"] == method]
        if sub["n"].nunique() < 2:
            continue
        row = {"method": method, "n_min": int(sub["n"].min()), "n_max": int(sub["n"].max()),
               "points": len(sub)}
        for column in measures:
            if sub[column].nunique() == 1:  # an exactly constant count: slope 0, no error
                row[f"{column}_slope"], row[f"{column}_ci"] = 0.0, 0.0
                continue
            fit = loglog_slope(sub["n"], sub[column])
            row[f"{column}_slope"] = fit["slope"]
            row[f"{column}_ci"] = (fit["ci_high"] - fit["ci_low"]) / 2
        rows.append(row)
    return pd.DataFrame(rows)


def slopes(data: pd.DataFrame) -> pd.DataFrame:
    """Log-log slope (95% CI) of each cost ratio against n, per method: FLOP and op ratios
    over all rows, the time ratio per host (``harness.hosts``)."""
    return pooled_and_per_host(data, _slopes, ("flops_ratio", "ops_ratio"), ("time_ratio",),
                               on=("method",))


SHORT = {"jacfwd_1": "forward 1/pass", "jacfwd_vec": "forward vector", "grad": "reverse",
         "fd": "differences"}


def _style(method):
    style = dict(METHOD_STYLE[method])
    if method == "jacfwd_vec":
        style["label"] = f"forward, vector mode ({CHUNK} directions/pass)"
    return style


def _cost_figure(data, fits, directory):
    fig, axes = figure(PAGE_WIDTH, 2.7, ncols=2, layout="constrained")
    panels = [("flops_ratio", "FLOPs(∇L) / FLOPs(L)", "(a) FLOPs (deterministic count)"),
              ("time_ratio", "time(∇L) / time(L)", "(b) wall time (median of repeats)")]
    for ax, (column, ylabel, title) in zip(axes, panels):
        notes = []
        groups = by_host(data) if column == "time_ratio" else [(None, data)]
        for index, (host, rows) in enumerate(groups):
            if host is not None:
                notes.append(host)
            for method in METHODS:
                sub = rows[rows["method"] == method].sort_values("n")
                if sub.empty:
                    continue
                ax.plot(sub["n"], sub[column], **host_style(_style(method), host, index))
                fit = fits[fits["method"] == method]
                if host is not None:
                    fit = fit[fit["host"] == host]
                if not fit.empty:
                    notes.append(f"{SHORT[method]:<14s} {fit[column + '_slope'].iloc[0]:5.2f}")
        log_axes(ax)
        if (data["method"] == "jacfwd_vec").any() and data["n"].max() > CHUNK:
            ax.axvline(CHUNK, color="tab:blue", linewidth=0.7, linestyle=(0, (1, 2)),
                       label=f"n = {CHUNK}: vector mode needs a second pass")
        ax.set_xlabel("n (parameters)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.text(0.03, 0.97, "log-log slope\n" + "\n".join(notes), transform=ax.transAxes,
                ha="left", va="top", fontsize=6, family="monospace",
                bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.8", "alpha": 0.9})
    handles, labels = axes[1].get_legend_handles_labels()  # methods, and hosts if several
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)
    save(fig, directory / "figures", "gradient_cost_vs_n")
    return "gradient_cost_vs_n"


def _slope(fits, method, column):
    row = fits[fits["method"] == method]
    if row.empty or pd.isna(row[column + "_slope"].iloc[0]):
        return "n/a"
    return f"{row[column + '_slope'].iloc[0]:.2f} ± {row[column + '_ci'].iloc[0]:.2f}"


# Findings about time across points, each from the rows of one host.

def _time_slopes(rows):
    fits = _slopes(rows, ("time_ratio",))
    return (f"Wall-time ratio vs n: reverse {_slope(fits, 'grad', 'time_ratio')}, forward "
            f"1/pass {_slope(fits, 'jacfwd_1', 'time_ratio')}, forward vector mode "
            f"{_slope(fits, 'jacfwd_vec', 'time_ratio')}, differences "
            f"{_slope(fits, 'fd', 'time_ratio')}; reverse mode's time ratio falls at small n "
            f"because its fixed per-op interpreter overhead is amortised as the arrays grow.")


def _vector_mode(rows):
    vec = rows[rows["method"] == "jacfwd_vec"]
    one_pass, chunked = vec[vec["n"] <= CHUNK], vec[vec["n"] > CHUNK]
    if one_pass.empty or chunked.empty:
        return None
    a, b = one_pass.loc[one_pass["n"].idxmax()], chunked.loc[chunked["n"].idxmax()]
    return (f"Forward vector mode pushes all directions in one pass while n ≤ {CHUNK}: fewer "
            f"FLOPs than one direction per pass (the primal part runs once per pass) and far "
            f"less interpreter overhead (time ×{a['time_ratio']:.3g} of L at n = "
            f"{int(a['n'])}); beyond, it needs ⌈n/{CHUNK}⌉ passes and its time grows like n "
            f"again (×{b['time_ratio']:.3g} at n = {int(b['n']):,}).")


def _extrapolation(rows):
    grad = rows[rows["method"] == "grad"]
    fwd = rows[rows["method"] == "jacfwd_1"]
    if grad.empty or fwd["n"].nunique() < 2:
        return None
    n_top = int(grad["n"].max())
    fit = loglog_slope(fwd["n"], fwd["time"])
    predicted = float(np.exp(fit["intercept"]) * n_top ** fit["slope"])
    top = grad.loc[grad["n"].idxmax()]
    return (f"At n = {n_top:,} reverse mode takes {top['time']:.3g} s "
            f"({top['flops_ratio']:.2f}× the FLOPs of L); forward mode one direction per pass "
            f"would take about {predicted:.3g} s ({predicted / 3600:.3g} h), extrapolating its "
            f"fitted time ∝ n^{fit['slope']:.2f}: the reason backpropagation, not forward mode, "
            f"trains networks with millions of parameters.")


def report(data, directory, config):
    data = with_cost_ratios(data)
    fits = slopes(data)
    figures = [(("Cost of the gradient of a scalar loss relative to one evaluation of the loss "
                 "versus the number of parameters n (log-log), FLOPs (left) and wall time "
                 "(right); the box gives the fitted slope of each method"),
                _cost_figure(data, fits, directory))]
    t1 = write_table(fits, directory / "tables", "slopes",
                     caption=("Log-log slopes of cost(grad L)/cost(L) against n, with the "
                              "half-width of the 95% confidence interval."))
    summary = data[["n", "method", *host_column(data), "flops_ratio", "ops_ratio",
                    "time_ratio", "time", "max_abs_error"]].sort_values(["method", "n"])
    t2 = write_table(summary, directory / "tables", "ratios",
                     caption="Cost of the gradient relative to one evaluation of the loss.")

    def slope(method):
        return _slope(fits, method, "flops_ratio")

    findings = [
        (f"FLOPs(∇L)/FLOPs(L) vs n: reverse mode slope {slope('grad')}, forward 1 direction/pass "
         f"{slope('jacfwd_1')}, forward vector mode {slope('jacfwd_vec')}, central differences "
         f"{slope('fd')} (theory: 0 for reverse, 1 for the others)."),
        *findings_per_host(data, _time_slopes),
    ]
    largest = []
    for method in METHODS:
        sub = data[data["method"] == method]
        if sub.empty:
            continue
        top = sub.loc[sub["n"].idxmax()]
        largest.append(f"{method} n = {int(top['n']):,} (FLOPs ×{top['flops_ratio']:.3g}, "
                       f"time ×{top['time_ratio']:.3g}, {top['time']:.3g} s)")
    findings.append("Largest n reached, with cost relative to L: " + "; ".join(largest) + ".")
    findings += findings_per_host(data, _vector_mode)
    findings += findings_per_host(data, _extrapolation)
    ad_err = data[data["method"] != "fd"]["max_abs_error"].max()
    fd_err = data[data["method"] == "fd"]["max_abs_error"].max()
    findings.append(f"Largest deviation from ad.grad: forward mode {ad_err:.1e}, central "
                    f"differences (ε = {EPS:g}) {fd_err:.1e}.")
    widths = ", ".join(str(w) for w in config["widths"])
    setup = (f"Loss: mean squared error of a tanh MLP {INPUTS} -> w -> w -> {OUTPUTS} on a "
             f"seeded batch of {BATCH} examples; the n = w² + {INPUTS + OUTPUTS + 2}w + "
             f"{OUTPUTS} parameters are one flat vector, unflattened in the loss by slicing and "
             f"reshape. Widths w = {widths}; reverse mode (ad.grad) at every width, forward mode "
             f"(ad.jacfwd with chunk_size=1, and chunk_size={CHUNK} to bound tangent memory) and "
             f"central differences (2n evaluations, ε = {EPS:g}) up to n = "
             f"{config['max_n_forward']:,}. FLOPs and op counts from admodes.cost "
             f"(deterministic); wall time: median of up to {config['repeats']} repeats "
             f"(at most {config['max_time']} s each), BLAS threads {config['threads']}, seed "
             f"{config['seed']}; time(L) is the plain numpy evaluation of the loss.")
    return {"setup": setup, "findings": findings, "figures": figures,
            "tables": [("Fitted slopes", t1["markdown"], "slopes"),
                       ("Cost ratios", t2["markdown"], "ratios")],
            "fits": fits}
