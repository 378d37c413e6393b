"""Forward gradient: an unbiased gradient estimate from forward mode alone.

What: the forward gradient g(v) = (∇f·v) v with a random tangent v ~ N(0, Iₙ) needs one JVP,
i.e. one forward-mode pass and no tape (Baydin, Pearlmutter, Syme, Wood & Torr 2022); averaging
K independent directions gives ĝ_K = (1/K) Σₖ (∇f·vₖ) vₖ. Synonyms: forward gradient,
randomized directional-derivative estimator, (Gaussian) smoothing without the smoothing.

Theory (derived here; the fourth moments of a Gaussian come from Isserlis' theorem,
E[vᵢvⱼvₖvₗ] = δᵢⱼδₖₗ + δᵢₖδⱼₗ + δᵢₗδⱼₖ). With a = ∇f(x):
  E[g] = E[v vᵀ] a = a                                   (unbiased; Baydin et al. 2022, Thm 1)
  E[g gᵀ] = E[(vᵀa)² v vᵀ] = ‖a‖² I + 2 a aᵀ,  so  Cov[g] = ‖a‖² I + a aᵀ
  E‖g − a‖² = tr Cov[g] = (n + 1) ‖a‖²,   E‖ĝ_K − a‖² = (n + 1) ‖a‖² / K.
The relative mean squared error (n + 1)/K grows with the dimension: a forward-gradient step
carries about n/K times the noise energy of the true gradient, so plain SGD on it needs a
learning rate (and a number of steps) of that order smaller (larger) than backpropagation.

When it wins: when one JVP is much cheaper than one VJP in time or memory (no tape: memory
O(1) in depth, see tape_memory) and the dimension is modest; the paper reports faster wall
time than backpropagation in PyTorch. When not: large n at fixed K, where the variance
dominates, which is what the training curves here measure per FLOP and per second.

Cost: one JVP costs a small multiple of f (about 2-3·C in FLOPs), one reverse-mode gradient
also O(C), so per step the forward gradient is at best a constant factor cheaper.

Parts: ``variance`` estimates E‖ĝ_K − ∇f‖²/‖∇f‖² and the bias of the mean of many draws on
the n-dimensional Rosenbrock function; ``training`` fits a seeded 1-32-32-1 tanh MLP to
sin(πx) with SGD on backprop gradients and on forward gradients (K directions, several
learning rates), and compares the loss per step, per FLOP (admodes.cost) and per second.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

import admodes as ad
import admodes.numpy as anp
from admodes import optim
from admodes import tree as tree_util
from experiments.harness.fitting import loglog_slope
from experiments.harness.hosts import by_host, figure_legend, host_column, host_style
from experiments.harness.records import thin_curve, unthin_curve
from experiments.harness.timing import time_call, time_options
from experiments.reporting.figures import PAGE_WIDTH, figure, log_axes, save
from experiments.reporting.tables import write_table

TITLE = "Forward gradients: unbiased, variance (n + 1)/K, and training per unit of cost"
QUESTION = ("Is the forward gradient (∇f·v) v with Gaussian v unbiased, does its variance "
            "follow (n + 1)‖∇f‖²/K, and how does training with it compare with backpropagation "
            "per FLOP and per second?")
REFERENCES = (
    ("Baydin, A. G., Pearlmutter, B. A., Syme, D., Wood, F. & Torr, P. (2022). Gradients "
     "without backpropagation. arXiv:2202.08587"),
    ("Isserlis, L. (1918). On a formula for the product-moment coefficient of any order of a "
     "normal frequency distribution in any number of variables. Biometrika 12(1-2), 134-139. "
     "doi:10.1093/biomet/12.1-2.134"),
    ("Rosenbrock, H. H. (1960). An automatic method for finding the greatest or least value of "
     "a function. The Computer Journal 3(3), 175-184. doi:10.1093/comjnl/3.3.175"),
)
KEY_FIELDS = ("part", "method", "n", "directions", "learning_rate")
SIZES = (1, 32, 32, 1)   # the MLP of the training part

# training runs: (method, directions K, learning rate); K = 0 for backprop
QUICK = {"dims": [4, 64, 1024], "directions": [1, 4, 16, 64], "draws": 30,
         "samples": 64, "steps": 600,
         "runs": [["backprop", 0, 0.05], ["forward", 1, 0.003], ["forward", 1, 0.01]],
         "curve_points": 300, "repeats": 3, "min_time": 0.005, "max_time": 0.5}
FULL = {"dims": [4, 16, 64, 256, 1024], "directions": [1, 2, 4, 8, 16, 32, 64], "draws": 100,
        "samples": 64, "steps": 3000,
        "runs": [["backprop", 0, 0.05], ["backprop", 0, 0.1], ["backprop", 0, 0.2],
                 ["forward", 1, 0.005], ["forward", 1, 0.01], ["forward", 1, 0.02],
                 ["forward", 1, 0.04], ["forward", 8, 0.03]],
        "curve_points": 1000, "repeats": 7, "min_time": 0.02, "max_time": 2.0}

COLUMNS = ("draws", "mse_ratio", "mse_sem", "mse_theory", "mean_error", "mean_error_theory",
           "jvp_error", "steps", "final_loss", "min_loss", "flops_step", "ops_step",
           "flops_f", "time_step", "time_step_iqr", "time_f", "curve_every", "loss_curve")


# -- the estimator --------------------------------------------------------------------------------

def forward_gradient(fun, params, rng, directions=1):
    """``(fun(params), ĝ)`` with ĝ = (1/K) Σₖ (∇fun·vₖ) vₖ, vₖ ~ N(0, I), K = ``directions``.

    ``params`` is a pytree of float arrays; each vₖ is a pytree of the same shape drawn from
    ``rng`` (a numpy Generator), and each ∇fun·vₖ is one forward-mode JVP (``ad.jvp``).
    """
    if isinstance(directions, bool) or not isinstance(directions, (int, np.integer)) \
            or directions < 1:
        raise ValueError(f"forward_gradient: directions must be a positive int, got "
                         f"{directions!r}")
    leaves, treedef = tree_util.flatten(params)
    estimate = [np.zeros(np.shape(x)) for x in leaves]
    value = None
    for _ in range(int(directions)):
        v = [rng.standard_normal(np.shape(x)) for x in leaves]
        value, slope = ad.jvp(fun, (params,), (tree_util.unflatten(treedef, v),))
        estimate = [e + float(slope) / directions * vi for e, vi in zip(estimate, v)]
    return value, tree_util.unflatten(treedef, estimate)


def relative_mse_theory(n, directions):
    """E‖ĝ_K − ∇f‖² / ‖∇f‖² = (n + 1)/K for Gaussian directions (derivation above)."""
    return (n + 1) / directions


# -- part 1: variance on the Rosenbrock function ---------------------------------------------------

def rosenbrock(x):
    """f(x) = Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², i = 1..n−1 (Rosenbrock 1960, n-dim form)."""
    return anp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_point(n, seed):
    return np.random.default_rng([seed, n]).uniform(-1.0, 1.0, n)


def measure_variance(n, directions, config):
    """Draw ``draws`` estimates ĝ_K at a seeded point; their relative squared errors and the
    error of their grand mean (draws·K directions), against theory."""
    x = rosenbrock_point(n, config["seed"])
    a = ad.grad(rosenbrock)(x)
    norm2 = float(a @ a)
    rng = np.random.default_rng([config["seed"], n, directions])
    draws = config["draws"]
    errors, total, jvp_error = np.empty(draws), np.zeros(n), 0.0
    for i in range(draws):
        estimate = np.zeros(n)
        for _ in range(directions):
            v = rng.standard_normal(n)
            _, slope = ad.jvp(rosenbrock, (x,), (v,))
            jvp_error = max(jvp_error, abs(float(slope) - float(a @ v)) / math.sqrt(norm2 * n))
            estimate += float(slope) * v / directions
        errors[i] = float(np.sum((estimate - a) ** 2)) / norm2
        total += estimate
    mean = total / draws
    return {"draws": draws, "mse_ratio": float(errors.mean()),
            "mse_sem": float(errors.std(ddof=1) / math.sqrt(draws)),
            "mse_theory": relative_mse_theory(n, directions),
            "mean_error": float(np.linalg.norm(mean - a) / math.sqrt(norm2)),
            "mean_error_theory": math.sqrt(relative_mse_theory(n, directions * draws)),
            "jvp_error": jvp_error}


# -- part 2: training an MLP ----------------------------------------------------------------------

def make_data(samples):
    """x on a uniform grid of [−1, 1], y = sin(πx) (noise-free, so the loss can go to 0)."""
    x = np.linspace(-1.0, 1.0, samples)[:, None]
    return x, np.sin(np.pi * x)


def init_mlp(seed, sizes=SIZES):
    """Seeded parameters [(W₁, b₁), …]: Wₗ ~ N(0, 1/fan_in) (LeCun / Glorot-style), b = 0."""
    rng = np.random.default_rng([seed, *sizes])
    return [(rng.standard_normal((a, b)) / math.sqrt(a), np.zeros(b))
            for a, b in itertools.pairwise(sizes)]


def make_mlp_loss(x, y):
    """L(θ) = mean((MLP_θ(x) − y)²), tanh hidden layers, linear output."""
    def loss(params):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i < len(params) - 1:
                h = anp.tanh(h)
        r = h - y
        return anp.mean(r * r)
    return loss


def num_params(params):
    return sum(int(np.size(x)) for x in tree_util.flatten(params)[0])


def gradient_estimator(loss, method, directions, rng):
    """``params -> (loss, gradient or estimate)`` for ``method`` 'backprop' or 'forward'."""
    if method == "backprop":
        return ad.value_and_grad(loss)
    if method == "forward":
        return lambda params: forward_gradient(loss, params, rng, directions)
    raise ValueError(f"forward_gradient: unknown method {method!r}; expected 'backprop' or "
                     f"'forward'")


def measure_training(method, directions, learning_rate, config):
    x, y = make_data(config["samples"])
    loss = make_mlp_loss(x, y)
    params = init_mlp(config["seed"])
    rng = np.random.default_rng([config["seed"], directions, int(learning_rate * 1e6)])
    estimator = gradient_estimator(loss, method, directions, rng)
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            final, losses = optim.minimize(loss, params, optim.sgd(learning_rate),
                                           config["steps"], value_and_grad=estimator)
            losses = np.append(losses, float(loss(final)))
        except ValueError:  # diverged: record the run as such
            losses = np.full(config["steps"] + 1, np.inf)
    probe_rng = np.random.default_rng([config["seed"], 7])
    probe = gradient_estimator(loss, method, directions, probe_rng)
    with ad.cost.meter() as m:
        probe(params)
    _, m_f = ad.cost.measure(loss, params)
    timing = time_options(config)
    t_step = time_call(lambda: probe(params), **timing)
    t_f = time_call(lambda: loss(params), **timing)
    every, text = thin_curve(losses, config["curve_points"])
    return {"steps": config["steps"], "final_loss": float(losses[-1]),
            "min_loss": float(np.min(losses)), "flops_step": m.total_flops, "ops_step": m.ops,
            "flops_f": m_f.total_flops, "time_step": t_step["time_median"],
            "time_step_iqr": t_step["time_iqr"], "time_f": t_f["time_median"],
            "curve_every": every, "loss_curve": text}


# -- the sweep ------------------------------------------------------------------------------------

def points(config):
    for n in config["dims"]:
        for k in config["directions"]:
            yield {"part": "variance", "method": "forward", "n": n, "directions": k,
                   "learning_rate": 0.0}
    n = num_params(init_mlp(config["seed"]))
    for method, k, lr in config["runs"]:
        yield {"part": "training", "method": method, "n": n, "directions": int(k),
               "learning_rate": float(lr)}


def measure(point, config):
    row = dict.fromkeys(COLUMNS, float("nan"))
    row["loss_curve"] = ""
    if point["part"] == "variance":
        row.update(measure_variance(point["n"], point["directions"], config))
    else:
        row.update(measure_training(point["method"], point["directions"],
                                    point["learning_rate"], config))
    return row


# -- the report -----------------------------------------------------------------------------------

def curve(row):
    return unthin_curve(row["loss_curve"], row["curve_every"], row["steps"])


def variance_fits(var):
    """Per n: log-log slope of the relative MSE against K, and measured/theory ratios."""
    rows = []
    for n, group in var.groupby("n"):
        fit = loglog_slope(group["directions"], group["mse_ratio"]) \
            if group["directions"].nunique() > 1 else {"slope": float("nan"),
                                                       "ci_low": float("nan"),
                                                       "ci_high": float("nan")}
        ratio = group["mse_ratio"] / group["mse_theory"]
        rows.append({"n": int(n), "slope_vs_K": fit["slope"],
                     "slope_ci": (fit["ci_high"] - fit["ci_low"]) / 2,
                     "mse_over_theory_min": float(ratio.min()),
                     "mse_over_theory_max": float(ratio.max()),
                     "mean_error_over_theory": float((group["mean_error"]
                                                      / group["mean_error_theory"]).median())})
    return pd.DataFrame(rows)


def _variance_figure(var, directory):
    fig, (ax_mse, ax_mean) = figure(PAGE_WIDTH, 2.8, ncols=2, layout="constrained")
    colors = dict(zip(sorted(var.n.unique()), ("tab:blue", "tab:orange", "tab:green",
                                               "tab:red", "tab:purple", "tab:brown")))
    for n, group in var.groupby("n"):
        group = group.sort_values("directions")
        color = colors.get(n, "black")
        ax_mse.errorbar(group["directions"], group["mse_ratio"], yerr=2 * group["mse_sem"],
                        color=color, marker="o", linestyle="none", label=f"n = {n}")
        ax_mse.plot(group["directions"], group["mse_theory"], color=color, linestyle="--",
                    linewidth=0.9)
        draws = group["directions"] * group["draws"]
        ax_mean.plot(draws, group["mean_error"], color=color, marker="o", linestyle="none",
                     label=f"n = {n}")
        ax_mean.plot(draws, group["mean_error_theory"], color=color, linestyle="--",
                     linewidth=0.9)
    log_axes(ax_mse)
    ax_mse.set_xlabel("K (directions per estimate)")
    ax_mse.set_ylabel("E‖ĝ_K − ∇f‖² / ‖∇f‖²")
    ax_mse.set_title("(a) variance; dashed: (n + 1)/K")
    ax_mse.legend(loc="upper right", frameon=False)
    log_axes(ax_mean)
    ax_mean.set_xlabel("M (directions averaged)")
    ax_mean.set_ylabel("‖mean of M estimates − ∇f‖ / ‖∇f‖")
    ax_mean.set_title("(b) unbiased: error of the mean; dashed: √((n + 1)/M)")
    save(fig, directory / "figures", "variance")
    return "variance"


def _label(row):
    if row.method == "backprop":
        return f"backprop, η = {row.learning_rate:g}"
    return f"forward gradient K = {int(row.directions)}, η = {row.learning_rate:g}"


def _training_figure(train, directory):
    fig, axes = figure(PAGE_WIDTH, 2.6, ncols=3, layout="constrained", sharey=True)
    forward = train[train.method == "forward"]
    ks = sorted(forward.directions.unique())
    palette = {k: c for k, c in zip(ks, ("tab:blue", "tab:green", "tab:purple"))}
    lrs = {k: sorted(forward[forward.directions == k].learning_rate) for k in ks}
    bp_lrs = sorted(train[train.method == "backprop"].learning_rate)
    hosts = [host for host, _ in by_host(train) if host is not None]
    for _, row in train.iterrows():
        t, losses = curve(row)
        finite = np.isfinite(losses)
        if row.method == "backprop":
            rank = bp_lrs.index(row.learning_rate)
            style = {"color": "tab:red", "alpha": 0.5 + 0.5 * (rank + 1) / len(bp_lrs),
                     "linestyle": ("-", "--", ":")[rank % 3]}
        else:
            rank = lrs[row.directions].index(row.learning_rate)
            style = {"color": palette[row.directions],
                     "alpha": 0.4 + 0.6 * (rank + 1) / len(lrs[row.directions]),
                     "linestyle": ("-", "--", ":")[rank % 3]}
        label = _label(row) + ("" if finite.all() else " (diverged)")
        if hosts:  # one marker per host on the time axis, whose curves compare within a host
            host = row.host
            time_style = dict(host_style(style, host, hosts.index(host)), markevery=0.1,
                              label=f"{label} [{host}]")
        xs = (t, t * row.flops_step, t * row.time_step)
        for i, (ax, x) in enumerate(zip(axes, xs)):
            keep = finite & (x > 0) if i else finite  # cost axes are logarithmic
            if i == 2 and hosts:
                ax.plot(x[keep], losses[keep], **time_style)
            else:
                ax.plot(x[keep], losses[keep], label=label, **style)
    for ax, xlabel, title in zip(axes, ("step", "FLOPs (admodes.cost)", "time (s, estimated)"),
                                 ("(a) per step", "(b) per FLOP", "(c) per second")):
        ax.set_yscale("log")
        if xlabel != "step":
            ax.set_xscale("log")
        ax.set_xlabel(xlabel)
        ax.set_title(title)
    axes[0].set_ylabel("training loss (MSE)")
    figure_legend(fig, axes[0], train, loc="outside lower center", ncols=3, frameon=False)
    save(fig, directory / "figures", "training")
    return "training"


def loss_at(row, target):
    """First step at which the row's loss curve is ≤ ``target`` (NaN if never)."""
    t, losses = curve(row)
    hit = np.flatnonzero(losses <= target)
    return float(t[hit[0]]) if len(hit) else float("nan")


def training_findings(summary, target, config):
    """Cost per step, and cost to reach ``target`` of every run against backprop's."""
    fwd, bp = summary[summary.method == "forward"], summary[summary.method == "backprop"]
    bp_best = bp.loc[bp.final_loss.idxmin()]
    one = fwd[fwd.directions == 1]
    findings = [
        f"Cost per step: backprop {bp_best.flops_per_step_over_f:.3g}× the FLOPs of one loss "
        f"evaluation and {bp_best.time_per_step_over_f:.3g}× its time; forward gradient with "
        + (f"one direction {one.flops_per_step_over_f.iloc[0]:.3g}× FLOPs and "
           f"{one.time_per_step_over_f.iloc[0]:.3g}× time" if not one.empty else "no K = 1 run")
        + " (K directions cost exactly K JVPs)."]
    reached_bp = bp[bp.flops_to_target.notna()]
    if fwd.empty or reached_bp.empty:  # nothing to compare (or every backprop run diverged)
        return findings
    cheapest_bp = reached_bp.loc[reached_bp.flops_to_target.idxmin()]

    def outcome(r):
        if not np.isfinite(r.final_loss):
            return "diverged"
        if pd.isna(r.steps_to_target):
            return f"never (final loss {r.final_loss:.3g})"
        flops = r.flops_to_target / cheapest_bp.flops_to_target
        if r.get("host") != cheapest_bp.get("host"):  # times compare only within one host
            return (f"step {int(r.steps_to_target)}, {flops:.3g}× the FLOPs (no time ratio: "
                    f"timed on `{r.host}`, that backprop run on `{cheapest_bp.host}`)")
        seconds = r.time_to_target / cheapest_bp.time_to_target
        return f"step {int(r.steps_to_target)}, {flops:.3g}× the FLOPs and {seconds:.3g}× the time"
    reached = fwd[fwd.flops_to_target.notna()]
    verdict = "no forward-gradient run reaches it"
    if not reached.empty:
        fastest = reached.loc[reached.flops_to_target.idxmin()]
        verdict = (f"the cheapest forward-gradient run (K = {int(fastest.directions)}, η = "
                   f"{fastest.learning_rate:g}) needs "
                   f"{fastest.flops_to_target / cheapest_bp.flops_to_target:.3g}× backprop's "
                   f"FLOPs")
    findings.append(
        f"Target: twice backprop's best final loss after {config['steps']} steps "
        f"({target:.3g}). Backprop (η = {cheapest_bp.learning_rate:g}) reaches it at step "
        f"{int(cheapest_bp.steps_to_target)}; the forward gradient: "
        + "; ".join(f"K = {int(r.directions)}, η = {r.learning_rate:g}: {outcome(r)}"
                    for _, r in fwd.iterrows())
        + f". So {verdict}: each estimate carries (n + 1)/K = {int(bp_best.n) + 1}/K times "
        f"more noise energy than signal, so the forward gradient takes more, smaller steps"
        + (f", while one K = 1 step costs {one.flops_step.iloc[0] / bp_best.flops_step:.3f}× "
           f"a backprop step in FLOPs" if not one.empty else "") + ".")
    return findings


def report(data, directory, config):
    var = data[data.part == "variance"]
    train = data[data.part == "training"].copy()
    for column in ("time_step", "time_f"):  # one time per (method, K, host): less noise
        train[column] = train.groupby(["method", "directions", *host_column(train)])[
            column].transform("median")
    figures, tables, findings = [], [], []
    if not var.empty:
        fits = variance_fits(var)
        figures.append((("Forward-gradient error on the n-dimensional Rosenbrock function: (a) "
                         "relative mean squared error of one K-direction estimate (±2 standard "
                         "errors) against (n + 1)/K; (b) relative error of the mean of all M "
                         "directions drawn, against √((n + 1)/M)"),
                        _variance_figure(var, directory)))
        t1 = write_table(fits, directory / "tables", "variance",
                         caption=("Per dimension n: log-log slope of E‖ĝ_K − ∇f‖²/‖∇f‖² "
                                  "against K (theory −1) with the 95% CI half-width; the range "
                                  "over K of measured / theoretical (n + 1)/K; median of the "
                                  "mean's error / √((n + 1)/M)."), float_format="{:.3g}")
        tables.append(("Variance", t1["markdown"], "variance"))
        findings.append(
            "Variance: E‖ĝ_K − ∇f‖²/‖∇f‖² against K has log-log slope "
            + ", ".join(f"{r.slope_vs_K:.3f} (n = {r.n})" for r in fits.itertuples())
            + f" (theory −1); measured / (n + 1)/K lies in [{fits.mse_over_theory_min.min():.2f},"
            f" {fits.mse_over_theory_max.max():.2f}] over all n and K ({config['draws']} draws "
            f"per point).")
        findings.append(
            f"Unbiased: the error of the mean of M = K·{config['draws']} directions is "
            f"{fits.mean_error_over_theory.median():.2f}× the predicted √((n + 1)/M) "
            f"(median over points): the error shrinks like 1/√M with no floor; each JVP "
            f"∇f·v agrees with the reverse-mode gradient to {var.jvp_error.max():.1e} "
            f"(relative to ‖∇f‖√n).")
    if not train.empty:
        summary = train[["method", *host_column(train), "n", "directions", "learning_rate",
                         "steps", "final_loss",
                         "min_loss", "flops_step", "flops_f", "time_step", "time_f"]].copy()
        summary["flops_per_step_over_f"] = summary["flops_step"] / summary["flops_f"]
        summary["time_per_step_over_f"] = summary["time_step"] / summary["time_f"]
        backprop = summary[summary.method == "backprop"]
        bp_best = backprop.loc[backprop.final_loss.idxmin()]  # lowest final loss
        target = 2 * float(bp_best.final_loss)
        summary["steps_to_target"] = [loss_at(r, target) for _, r in train.iterrows()]
        summary["flops_to_target"] = summary["steps_to_target"] * summary["flops_step"]
        summary["time_to_target"] = summary["steps_to_target"] * summary["time_step"]
        figures.append((("Training loss of the MLP under SGD with backprop gradients and with "
                         "forward gradients (K directions, several learning rates) against "
                         "(a) steps, (b) FLOPs counted by admodes.cost, (c) wall time = steps × "
                         "median time per step (over the runs of the same method and K on one "
                         "host); "
                         "diverged runs are not drawn"), _training_figure(train, directory)))
        t2 = write_table(summary, directory / "tables", "training",
                         caption=(f"Training runs: final and lowest loss (inf: diverged), FLOPs "
                                  f"and time per step and their ratios to one loss evaluation, "
                                  f"steps, FLOPs and seconds to reach twice backprop's best "
                                  f"final loss ({target:.3g}); empty: never."),
                         float_format="{:.3g}")
        tables.append(("Training", t2["markdown"], "training"))
        findings += training_findings(summary, target, config)
    setup = (f"Variance: n-dimensional Rosenbrock function at a seeded point x ~ U(−1, 1)ⁿ, "
             f"n ∈ {config['dims']}, K ∈ {config['directions']}, {config['draws']} independent "
             f"estimates per (n, K), each direction one ad.jvp; the true gradient from ad.grad. "
             f"Training: MLP {'-'.join(str(s) for s in SIZES)} (tanh) on "
             f"{config['samples']} points of sin(πx), x ∈ [−1, 1]; plain SGD "
             f"(admodes.optim.sgd) for {config['steps']} steps from the same seeded "
             f"initialisation; runs (method, K, η) "
             f"{', '.join(str(tuple(r)) for r in config['runs'])}; FLOPs per step from "
             f"admodes.cost, time per step: median of up to {config['repeats']} repeats; "
             f"seed {config['seed']}, BLAS threads {config['threads']}.")
    return {"setup": setup, "findings": findings, "figures": figures, "tables": tables}
