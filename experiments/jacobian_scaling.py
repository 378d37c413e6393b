"""Full Jacobians of f: R^n -> R^m by forward mode, reverse mode and finite differences.

What: the cost of a full Jacobian relative to one evaluation of f, swept over n and m, for
three function families, five methods, counted three ways (FLOPs, primitive ops, wall time).

Theory (Griewank & Walther 2008, ch. 3): forward mode needs one JVP per input direction,
cost O(n·C); reverse mode one VJP per output, O(m·C) plus one recorded forward pass; central
differences need 2n evaluations of f. So the ratio cost(J)/cost(f) should grow like n^1 for
forward mode and be flat in n for reverse mode (and the reverse), with the crossover near
n = m. Vector mode pushes all directions in one pass: the same FLOPs, far less interpreter
overhead, more memory.

Families (seeded weights; h = 64 hidden units):
``dense``        y = W2 tanh(W1 x), W1 (h, n), W2 (m, h): C = O(h(n + m));
``elementwise``  y = sin(x)·x + x² (m = n): a diagonal Jacobian;
``reduction``    y_j = logsumexp_i(A_ji x_i), A (m, n): C = O(mn), reduction-heavy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import admodes as ad
import admodes.numpy as anp
from admodes import nn
from experiments.harness.costs import cost_columns, with_cost_ratios
from experiments.harness.fitting import crossover, loglog_slope
from experiments.harness.hosts import by_host, findings_per_host, host_column, pooled_and_per_host
from experiments.harness.timing import time_call, time_options
from experiments.reporting.figures import METHOD_STYLE, PAGE_WIDTH, figure, log_axes, save
from experiments.reporting.tables import write_table

TITLE = "Jacobian scaling: forward O(nC) vs reverse O(mC)"
QUESTION = ("How does the cost of a full Jacobian of f: R^n -> R^m grow with n and m in "
            "forward mode, reverse mode and finite differences, and where do they cross?")
REFERENCES = (
    ("Griewank, A. & Walther, A. (2008). Evaluating Derivatives, 2nd ed. SIAM, ch. 3. "
    "doi:10.1137/1.9780898717761"),
    ("Baydin, A. G., Pearlmutter, B. A., Radul, A. A. & Siskind, J. M. (2018). Automatic "
    "differentiation in machine learning: a survey. JMLR 18(153), 1-43."),
)
KEY_FIELDS = ("family", "n", "m", "method")
METHODS = ("jacfwd_1", "jacfwd_vec", "jacrev_1", "jacrev_vec", "fd")
HIDDEN = 64

QUICK = {"sizes": {"dense": [8, 32, 128], "elementwise": [8, 32, 128], "reduction": [8, 32]},
         "repeats": 2, "min_time": 0.0}
FULL = {"sizes": {"dense": [10, 30, 100, 300, 1000], "elementwise": [10, 30, 100, 300, 1000, 3000],
                  "reduction": [10, 30, 100, 300]},
        "repeats": 5, "min_time": 0.05}


# -- the functions ------------------------------------------------------------------------------

def make_function(family, n, m, seed):
    """The function of ``family`` from R^n to R^m and an input point (seeded)."""
    rng = np.random.default_rng([seed, n, m])
    x = rng.standard_normal(n)
    if family == "dense":
        w1 = rng.standard_normal((HIDDEN, n)) / np.sqrt(n)
        w2 = rng.standard_normal((m, HIDDEN)) / np.sqrt(HIDDEN)
        return (lambda x: w2 @ anp.tanh(w1 @ x)), x
    if family == "elementwise":
        if m != n:
            raise ValueError("the elementwise family maps R^n to R^n")
        return (lambda x: anp.sin(x) * x + x * x), x
    if family == "reduction":
        a = rng.standard_normal((m, n))
        return (lambda x: nn.logsumexp(a * x, axis=1)), x
    raise ValueError(f"unknown family {family!r}")


def central_differences(f, x, eps=1e-6):
    """The Jacobian column by column: (f(x + ε e_i) − f(x − ε e_i)) / 2ε, 2n evaluations."""
    columns = []
    for i in range(x.shape[0]):
        e = np.zeros(x.shape[0])
        e[i] = eps
        columns.append((f(x + e) - f(x - e)) / (2 * eps))
    return anp.stack(columns, axis=1)


def jacobian_method(method, f):
    """The Jacobian function of ``method``."""
    return {"jacfwd_1": ad.jacfwd(f, chunk_size=1), "jacfwd_vec": ad.jacfwd(f),
            "jacrev_1": ad.jacrev(f, chunk_size=1), "jacrev_vec": ad.jacrev(f),
            "fd": lambda x: central_differences(f, x)}[method]


# -- the sweep ----------------------------------------------------------------------------------

def points(config):
    for family, sizes in config["sizes"].items():
        pairs = [(n, n) for n in sizes] if family == "elementwise" else \
            [(n, m) for n in sizes for m in sizes]
        for n, m in pairs:
            for method in METHODS:
                yield {"family": family, "n": n, "m": m, "method": method}


def measure(point, config):
    f, x = make_function(point["family"], point["n"], point["m"], config["seed"])
    jac = jacobian_method(point["method"], f)
    _, f_cost = ad.cost.measure(f, x)
    result, cost = ad.cost.measure(jac, x)
    reference = ad.jacrev(f)(x)
    error = float(np.max(np.abs(np.asarray(result) - reference)))
    f_time = time_call(lambda: f(x), **time_options(config))
    j_time = time_call(lambda: jac(x), **time_options(config))
    return {**cost_columns(cost, f_cost, j_time, f_time), "max_abs_error": error}


# -- the report ---------------------------------------------------------------------------------

def _slopes(data: pd.DataFrame, measures) -> pd.DataFrame:
    rows = []
    for family, fam in data.groupby("family"):
        axes = [("n", fam["m"] == fam["m"].min())]
        if family != "elementwise":
            axes.append(("m", fam["n"] == fam["n"].min()))
        else:
            axes = [("n", fam["m"] == fam["n"])]
        for axis, mask in axes:
            for method, sub in fam[mask].groupby("method"):
                if sub[axis].nunique() < 2:
                    continue
                row = {"family": family, "versus": axis, "method": method}
                for measure_name in measures:
                    fit = loglog_slope(sub[axis], sub[measure_name])
                    row[f"{measure_name}_slope"] = fit["slope"]
                    row[f"{measure_name}_ci"] = (fit["ci_high"] - fit["ci_low"]) / 2
                rows.append(row)
    return pd.DataFrame(rows)


def slopes(data: pd.DataFrame) -> pd.DataFrame:
    """Log-log slopes of each cost ratio against n (at the smallest m) and m (smallest n).

    FLOP and op ratios are fitted over all rows, the time ratio per host (``harness.hosts``).
    """
    return pooled_and_per_host(data, _slopes, ("flops_ratio", "ops_ratio"), ("time_ratio",),
                               on=("family", "versus", "method"))


def _scaling_figure(data, fits, axis, directory):
    families = [f for f in ("dense", "elementwise", "reduction") if f in set(data["family"])]
    if axis == "m":
        families = [f for f in families if f != "elementwise"]
    fig, axes = figure(PAGE_WIDTH, 2.6, ncols=len(families), squeeze=False,
                       layout="constrained")
    for ax, family in zip(axes[0], families):
        fam = data[data["family"] == family]
        other = "m" if axis == "n" else "n"
        sel = fam[fam["m"] == fam["n"]] if family == "elementwise" else \
            fam[fam[other] == fam[other].min()]
        notes = []
        for method in METHODS:
            sub = sel[sel["method"] == method].sort_values(axis)
            if sub.empty:
                continue
            ax.plot(sub[axis], sub["flops_ratio"], **METHOD_STYLE[method])
            fit = fits[(fits["family"] == family) & (fits["versus"] == axis)
                       & (fits["method"] == method)]
            if not fit.empty:
                notes.append(f"{method}: {fit['flops_ratio_slope'].iloc[0]:.2f}")
        log_axes(ax)
        fixed = "m = n" if family == "elementwise" else f"{other} = {sel[other].min()}"
        ax.set_title(f"{family} ({fixed})")
        ax.set_xlabel(f"{axis} ({'inputs' if axis == 'n' else 'outputs'})")
        ax.set_ylabel("FLOPs(Jacobian) / FLOPs(f)")
        ax.text(0.98, 0.03, "slopes\n" + "\n".join(notes), transform=ax.transAxes, ha="right",
                va="bottom", fontsize=6, family="monospace")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=len(METHODS), frameon=False)
    stem = f"cost_vs_{axis}"
    save(fig, directory / "figures", stem)
    return stem


def _heatmap(data, directory):
    dense = data[data["family"] == "dense"]
    sizes = sorted(dense["n"].unique())
    fig, axes = figure(PAGE_WIDTH, 2.8, ncols=2, layout="constrained")
    for ax, (column, label) in zip(axes, [("flops", "FLOPs"), ("time", "wall time")]):
        ratio = np.log10(_forward_over_reverse(dense, column).reindex(
            index=sizes, columns=sizes).to_numpy(dtype=float))
        finite = np.abs(ratio[np.isfinite(ratio)])
        limit = finite.max() if finite.size else 1.0
        image = ax.imshow(ratio, origin="lower", cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_xticks(range(len(sizes)), [str(s) for s in sizes])
        ax.set_yticks(range(len(sizes)), [str(s) for s in sizes])
        ax.plot([-0.5, len(sizes) - 0.5], [-0.5, len(sizes) - 0.5], "k--", lw=1,
                label="n = m")
        ax.set_xlabel("n (inputs)")
        ax.set_ylabel("m (outputs)")
        ax.set_title(f"log10 {label}: forward / reverse (vector mode)")
        ax.grid(False)
        ax.legend(loc="upper left", frameon=False)
        fig.colorbar(image, ax=ax, shrink=0.85)
    save(fig, directory / "figures", "crossover_heatmap")
    return "crossover_heatmap"


def _forward_over_reverse(dense, column):
    """cost(jacfwd_vec) / cost(jacrev_vec) over the (m, n) grid; for ``time`` only where both
    points ran on one host (blank elsewhere)."""
    groups = [(None, dense)] if column != "time" else by_host(dense)
    ratio = None
    for _, rows in groups:
        fwd = rows[rows["method"] == "jacfwd_vec"].pivot(index="m", columns="n", values=column)
        rev = rows[rows["method"] == "jacrev_vec"].pivot(index="m", columns="n", values=column)
        ratio = fwd / rev if ratio is None else ratio.combine_first(fwd / rev)
    return ratio


def _crossover_rows(dense, columns):
    rows = []
    for m, sub in dense.groupby("m"):
        fwd = sub[sub["method"] == "jacfwd_vec"].set_index("n").sort_index()
        rev = sub[sub["method"] == "jacrev_vec"].set_index("n").sort_index()
        row = {"m": m}
        for column in columns:
            ratio = fwd[column] / rev[column]
            row[f"crossover_n_{column}"] = crossover(ratio.index, ratio.to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)


def _crossovers(data):
    """For each m of the dense family, the n where vector-mode forward and reverse cost the same
    (in FLOPs over all rows, in time per host)."""
    dense = data[data["family"] == "dense"]
    return pooled_and_per_host(dense, _crossover_rows, ("flops",), ("time",), on=("m",))


def _slope(fits, family, axis, method, column):
    row = fits[(fits.family == family) & (fits.versus == axis) & (fits.method == method)]
    if row.empty or pd.isna(row[column + "_slope"].iloc[0]):
        return "n/a"
    return f"{row[column + '_slope'].iloc[0]:.2f} ± {row[column + '_ci'].iloc[0]:.2f}"


def _time_slopes(rows):
    """The wall-time finding for rows of one host (None if it measured no dense point)."""
    if not (rows["family"] == "dense").any():
        return None
    fits = _slopes(rows, ("time_ratio",))
    methods = (("forward 1/pass", "jacfwd_1"), ("forward vector mode", "jacfwd_vec"),
               ("reverse vector mode", "jacrev_vec"))
    return "Wall-time ratio vs n, dense: " + ", ".join(
        f"{label} {_slope(fits, 'dense', 'n', method, 'time_ratio')}"
        for label, method in methods) + "."


def report(data, directory, config):
    data = with_cost_ratios(data)
    fits = slopes(data)
    figures = [(("Cost of a full Jacobian relative to f versus the number of inputs n "
                "(log-log; slopes fitted on FLOPs)"), _scaling_figure(data, fits, "n", directory)),
               ("Cost relative to f versus the number of outputs m",
                _scaling_figure(data, fits, "m", directory))]
    if "dense" in set(data["family"]):
        caption = ("Forward/reverse cost ratio over the (n, m) grid, dense family; red: "
                   "reverse mode is cheaper, blue: forward mode is")
        if len(by_host(data)) > 1:
            caption += "; wall time only where both points ran on one host"
        figures.append((caption, _heatmap(data, directory)))
    table_fits = fits[["family", "versus", "method", *host_column(data), "flops_ratio_slope",
                       "flops_ratio_ci", "time_ratio_slope", "time_ratio_ci"]]
    t1 = write_table(table_fits, directory / "tables", "slopes",
                     caption="Log-log slopes of cost(J)/cost(f) (± half-width of the 95% CI).")
    cross = _crossovers(data)
    t2 = write_table(cross, directory / "tables", "crossovers",
                     caption="Inputs n at which forward and reverse vector mode cost the same "
                             "(dense family), per number of outputs m; empty: no crossing.")
    summary = data[["family", "n", "m", "method", *host_column(data), "flops_ratio", "ops_ratio", "time_ratio",
                    "max_abs_error"]]
    t3 = write_table(summary, directory / "tables", "ratios",
                     caption="Cost of the Jacobian relative to one evaluation of f.")

    def slope(family, axis, method):
        return _slope(fits, family, axis, method, "flops_ratio")

    findings = [
        (f"Dense family, FLOPs(J)/FLOPs(f) vs n: forward (1 direction/pass) slope "
        f"{slope('dense', 'n', 'jacfwd_1')}, reverse (1 row/sweep) slope "
        f"{slope('dense', 'n', 'jacrev_1')}; vs m: forward {slope('dense', 'm', 'jacfwd_1')}, "
        f"reverse {slope('dense', 'm', 'jacrev_1')} (theory: 1, 0, 0, 1)."),
        *findings_per_host(data, _time_slopes),
        (f"Largest deviation of any Jacobian from reverse mode's: AD methods "
        f"{data[data.method != 'fd']['max_abs_error'].max():.1e}, central differences "
        f"{data[data.method == 'fd']['max_abs_error'].max():.1e}."),
    ]
    if not cross.empty:
        values = cross.dropna(subset=["crossover_n_flops"]).drop_duplicates("m")
        if not values.empty:
            findings.append("FLOP crossover of vector modes (dense): " + ", ".join(
                f"m={int(r.m)}: n≈{r.crossover_n_flops:.0f}" for r in values.itertuples()) + ".")
    sizes = ", ".join(f"{k}: {v}" for k, v in config["sizes"].items())
    setup = (f"Families and sizes ({sizes}); methods {', '.join(METHODS)}; hidden width "
             f"{HIDDEN}; {config['repeats']} timed repeats (median), BLAS threads "
             f"{config['threads']}, seed {config['seed']}. FLOPs and op counts come from "
             f"admodes.cost (deterministic); cost(f) is one evaluation of f through the registry.")
    return {"setup": setup, "findings": findings, "figures": figures,
            "tables": [("Fitted slopes", t1["markdown"], "slopes"),
                       ("Crossovers", t2["markdown"], "crossovers")],
            "fits": fits, "crossovers": cross, "ratios_table": t3}
