"""Memory of reverse mode (the tape) vs forward mode along an ODE rollout of T steps.

What: the memory needed to differentiate a scalar loss of the final state of T explicit RK4
steps of a generalized Lotka-Volterra system, swept over T (and over the state dimension d at
fixed T): the reverse-mode tape (records and residual bytes, counted by ``admodes.cost``) and
the peak memory traced by ``tracemalloc`` (numpy buffers and Python objects) of a reverse-mode
gradient, of one forward-mode JVP and of a plain evaluation; plus their time relative to the
plain evaluation. Synonyms: tape, Wengert list, trace, activation memory; discrete adjoint of
an explicit integrator.

Theory (Griewank & Walther 2008, ch. 4 and 12): reverse mode sweeps the program backwards, so
every intermediate value the partial derivatives need must be stored during the forward pass
(or recomputed): memory O(T·d) for T steps on a d-dimensional state, growing linearly in T
(log-log slope 1). Forward mode carries a tangent alongside each value and forgets both when
the step is done: memory O(d), constant in T (slope 0), at the price of one pass per input
direction. Checkpointing (Griewank 1992, "revolve") stores only O(log T) states and recomputes
the rest, trading memory for O(log T) extra forward steps; measured here is its simplest form,
one level of uniform checkpoints (Griewank & Walther 2008, sec. 12.1; Chen et al. 2016): each
segment of s = √T steps an ``admodes.checkpoint``, so the tape keeps T/s segment inputs and the
sweep records one segment of s steps at a time: memory O(√T) (slope 0.5) for one more
evaluation of the rollout.

When reverse mode's memory matters: long rollouts (ODE/PDE solvers, RNNs over long sequences,
deep networks with large activations) where T·d·(arrays per step) exceeds the memory budget;
then forward mode (few inputs), checkpointing, or continuous adjoints are the alternatives.

Cost (measured here): tape bytes ≈ (residual arrays per step)·8d·T; traced memory adds the
Python bookkeeping of each tape record (record, node and array headers), which dominates when
the state is small; time of the gradient ≈ a few times the plain evaluation, in both modes,
dominated by interpreter overhead for small d.

Problem (seeded): dy/dt = y ⊙ (r + A y), y ∈ R^d, A = −I + 0.5·R/√d with R standard normal,
r ~ U(0.5, 1.5), y(0) ~ U(0.2, 1), classical RK4 with step h = 0.01 (bounded for all T used);
loss L(r) = ½‖y_T‖², differentiated with respect to the growth rates r (d inputs).

References: Griewank & Walther (2008), doi:10.1137/1.9780898717761; Griewank (1992),
doi:10.1080/10556789208805505; Chen, Xu, Zhang & Guestrin (2016), arXiv:1604.06174.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import admodes as ad
import admodes.numpy as anp
from experiments.harness.fitting import loglog_slope
from experiments.harness.hosts import (
    by_host,
    figure_legend,
    findings_per_host,
    host_column,
    host_style,
    per_host,
)
from experiments.harness.memory import traced_peak
from experiments.harness.timing import time_call, time_options
from experiments.reporting.figures import (
    COLUMN_WIDTH,
    METHOD_STYLE,
    PAGE_WIDTH,
    figure,
    log_axes,
    save,
)
from experiments.reporting.tables import write_table

TITLE = "Tape memory: reverse mode O(T) vs forward mode O(1) along a rollout"
QUESTION = ("How does the memory of a reverse-mode gradient grow with the number of steps T "
            "of an ODE rollout, compared with forward mode and a plain evaluation?")
REFERENCES = (
    ("Griewank, A. & Walther, A. (2008). Evaluating Derivatives, 2nd ed. SIAM, ch. 4 (memory "
     "and complexity bounds) and ch. 12 (reversal schedules and checkpointing). "
     "doi:10.1137/1.9780898717761"),
    ("Griewank, A. (1992). Achieving logarithmic growth of temporal and spatial complexity in "
     "reverse automatic differentiation. Optimization Methods and Software 1(1), 35-54. "
     "doi:10.1080/10556789208805505"),
    ("Chen, T., Xu, B., Zhang, C. & Guestrin, C. (2016). Training deep nets with sublinear "
     "memory cost. arXiv:1604.06174"),
)
KEY_FIELDS = ("steps", "dim")
STEP = 0.01   # RK4 step size h

QUICK = {"steps": [10, 30, 100, 300, 1000], "dim": 32, "dims": [8, 32, 128, 512],
         "dim_steps": 100, "repeats": 3, "min_time": 0.01, "max_time": 1.0}
FULL = {"steps": [10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000], "dim": 32,
        "dims": [8, 16, 32, 64, 128, 256, 512], "dim_steps": 300, "repeats": 5,
        "min_time": 0.05, "max_time": 5.0}


# -- the rollout --------------------------------------------------------------------------------

def make_problem(dim, seed):
    """Seeded generalized Lotka-Volterra system: growth rates r, interactions A, y(0)."""
    rng = np.random.default_rng([seed, dim])
    a = -np.eye(dim) + 0.5 * rng.standard_normal((dim, dim)) / np.sqrt(dim)
    r = rng.uniform(0.5, 1.5, dim)
    y0 = rng.uniform(0.2, 1.0, dim)
    v = rng.standard_normal(dim)
    return {"r": r, "a": a, "y0": y0, "direction": v / np.linalg.norm(v)}


def rk4_step(y, r, a, h):
    """One classical Runge-Kutta step of dy/dt = y ⊙ (r + A y)."""
    def rhs(y):
        return y * (r + a @ y)
    k1 = rhs(y)
    k2 = rhs(y + (0.5 * h) * k1)
    k3 = rhs(y + (0.5 * h) * k2)
    k4 = rhs(y + h * k3)
    return y + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4)


def make_loss(problem, steps, h=STEP, segment=None):
    """L(r) = ½‖y_T‖² after ``steps`` RK4 steps from the problem's y(0).

    With ``segment = s`` the rollout runs as ⌈T/s⌉ segments of s steps (the last one shorter),
    each an :func:`admodes.checkpoint`: the tape keeps each segment's input state, and the
    reverse sweep records one segment at a time again.
    """
    a, y0 = problem["a"], problem["y0"]

    def rollout(y, r, n):
        for _ in range(n):
            y = rk4_step(y, r, a, h)
        return y

    if segment is None:
        def loss(r):
            y = rollout(y0, r, steps)
            return 0.5 * anp.sum(y * y)
        return loss
    lengths = [segment] * (steps // segment) + ([steps % segment] if steps % segment else [])
    stretches = {n: ad.checkpoint(lambda y, r, n=n: rollout(y, r, n)) for n in set(lengths)}

    def checkpointed_loss(r):
        y = y0
        for n in lengths:
            y = stretches[n](y, r)
        return 0.5 * anp.sum(y * y)
    return checkpointed_loss


def segment_length(steps):
    """s = round(√T): T/s stored segment inputs plus s steps recorded at a time, O(√T)."""
    return max(1, round(np.sqrt(steps)))


def tape_counts(problem, steps):
    """(records, residual bytes) of the reverse-mode tape of ``steps`` steps (deterministic).

    The difference between two and one step is the tape's growth per step, free of the
    constants it saves once (the matrix A, y(0)).
    """
    r = problem["r"]
    with ad.cost.meter() as m:
        ad.grad(make_loss(problem, steps))(r)
    return m.tape_records, m.tape_bytes


# -- the sweep ----------------------------------------------------------------------------------

def points(config):
    seen = set()
    sweep = [(t, config["dim"]) for t in config["steps"]] + \
        [(config["dim_steps"], d) for d in config["dims"]]
    for steps, dim in sweep:
        if (steps, dim) not in seen:
            seen.add((steps, dim))
            yield {"steps": steps, "dim": dim}


def measure(point, config):
    problem = make_problem(point["dim"], config["seed"])
    loss = make_loss(problem, point["steps"])
    r, v = problem["r"], problem["direction"]
    gradient = ad.grad(loss)
    segment = segment_length(point["steps"])
    checkpointed = ad.grad(make_loss(problem, point["steps"], segment=segment))

    def forward():
        return ad.jvp(loss, (r,), (v,))

    timing = time_options(config)
    t_f = time_call(lambda: loss(r), **timing)
    t_grad = time_call(lambda: gradient(r), **timing)
    t_ckpt = time_call(lambda: checkpointed(r), **timing)
    t_jvp = time_call(forward, **timing)
    with ad.cost.meter() as m_grad:
        g = gradient(r)
    with ad.cost.meter() as m_ckpt:
        g_ckpt = checkpointed(r)
    one, two = (tape_counts(problem, steps) for steps in (1, 2))
    with ad.cost.meter() as m_jvp:
        value, tangent = forward()
    _, m_f = ad.cost.measure(loss, r)
    dot = float(np.dot(g, v))
    scale = max(float(np.linalg.norm(g)), np.finfo(float).tiny)
    return {"tape_records": m_grad.tape_records, "tape_bytes": m_grad.tape_bytes,
            "peak_tape_bytes": m_grad.peak_tape_bytes,
            "tape_records_per_step": two[0] - one[0], "tape_bytes_per_step": two[1] - one[1],
            "jvp_tape_records": m_jvp.tape_records,
            "flops_grad": m_grad.total_flops, "flops_jvp": m_jvp.total_flops,
            "flops_f": m_f.total_flops, "ops_grad": m_grad.ops, "ops_jvp": m_jvp.ops,
            "ops_f": m_f.ops,
            "mem_grad": traced_peak(lambda: gradient(r)), "mem_jvp": traced_peak(forward),
            "mem_f": traced_peak(lambda: loss(r)),
            "segment": segment, "mem_grad_ckpt": traced_peak(lambda: checkpointed(r)),
            "flops_grad_ckpt": m_ckpt.total_flops,
            "time_grad_ckpt": t_ckpt["time_median"], "time_grad_ckpt_iqr": t_ckpt["time_iqr"],
            "ckpt_error": float(np.max(np.abs(g_ckpt - g))) / scale,
            "time_grad": t_grad["time_median"], "time_grad_iqr": t_grad["time_iqr"],
            "time_jvp": t_jvp["time_median"], "time_jvp_iqr": t_jvp["time_iqr"],
            "time_f": t_f["time_median"], "time_f_iqr": t_f["time_iqr"],
            "loss": float(value), "grad_norm": float(np.linalg.norm(g)),
            "dot_error": abs(dot - float(tangent)) / scale, "timer": t_grad["timer"]}


# -- the report ---------------------------------------------------------------------------------

CHECKPOINTED = {"color": "tab:purple", "marker": "v", "linestyle": "-.",
                "label": "reverse, checkpoint every √T steps"}
MEMORY = {  # column -> plot style
    "tape_bytes": {"color": "tab:red", "marker": "s", "linestyle": "--",
                   "label": "reverse: tape residuals (admodes.cost)"},
    "mem_grad": {**METHOD_STYLE["grad"], "label": "reverse (grad): traced peak"},
    "mem_grad_ckpt": {**CHECKPOINTED, "label": CHECKPOINTED["label"] + ": traced peak"},
    "mem_jvp": {**METHOD_STYLE["jvp"], "label": "forward (1 JVP): traced peak"},
    "mem_f": {**METHOD_STYLE["f"], "label": "plain evaluation: traced peak"},
}
TIMES = {"time_grad": METHOD_STYLE["grad"], "time_grad_ckpt": CHECKPOINTED,
         "time_jvp": METHOD_STYLE["jvp"]}
TIME_RATIOS = ("time_grad_ratio", "time_grad_ckpt_ratio", "time_jvp_ratio")
FITTED = {"steps": ("tape_records", "tape_bytes", "mem_grad", "mem_grad_ckpt", "mem_jvp", "mem_f",
                    "time_grad_ratio", "time_grad_ckpt_ratio", "time_jvp_ratio"),
          "dim": ("tape_bytes_per_step", "mem_grad", "mem_jvp", "mem_f", "time_grad_ratio",
                  "time_jvp_ratio")}


def with_ratios(data: pd.DataFrame) -> pd.DataFrame:
    data = data.copy()
    data["time_grad_ratio"] = data["time_grad"] / data["time_f"]
    data["time_grad_ckpt_ratio"] = data["time_grad_ckpt"] / data["time_f"]
    data["time_jvp_ratio"] = data["time_jvp"] / data["time_f"]
    return data


def step_sweep(data, config):
    return data[data["dim"] == config["dim"]].sort_values("steps")


def dim_sweep(data, config):
    return data[data["steps"] == config["dim_steps"]].sort_values("dim")


def _slopes(data: pd.DataFrame, axis: str, columns) -> pd.DataFrame:
    rows = []
    if data[axis].nunique() < 2:
        return pd.DataFrame(rows)
    for column in columns:
        if data[column].nunique() == 1:  # an exactly constant count
            rows.append({"versus": axis, "quantity": column, "slope": 0.0, "ci": 0.0,
                         "r2": 1.0, "per_unit": 0.0, "points": len(data)})
            continue
        fit = loglog_slope(data[axis], data[column])
        per_unit = float(np.polyfit(data[axis].to_numpy(float), data[column].to_numpy(float),
                                    1)[0])
        rows.append({"versus": axis, "quantity": column, "slope": fit["slope"],
                     "ci": (fit["ci_high"] - fit["ci_low"]) / 2, "r2": fit["r2"],
                     "per_unit": per_unit, "points": fit["points"]})
    return pd.DataFrame(rows)


def slopes(data: pd.DataFrame, axis: str) -> pd.DataFrame:
    """Log-log slope (95% CI) of each memory and time column against ``axis``, and the
    increment per unit of ``axis`` of a straight-line fit (bytes per step, per dimension).

    Memory is fitted over all rows, the time ratios per host (``harness.hosts``): with several
    hosts their rows carry the host's name in a ``host`` column.
    """
    counted = [c for c in FITTED[axis] if c not in TIME_RATIOS]
    timed = [c for c in FITTED[axis] if c in TIME_RATIOS]
    parts = [_slopes(data, axis, counted), per_host(data, lambda rows: _slopes(rows, axis, timed))]
    fits = pd.concat([part for part in parts if not part.empty], ignore_index=True) \
        if any(not part.empty for part in parts) else pd.DataFrame()
    if "host" in fits.columns:
        fits.insert(2, "host", fits.pop("host"))
    return fits


def _notes(fits, columns, host=None):
    return ("log-log slope" if host is None else f"slope on {host}") + "\n" + "\n".join(
        f"{label:<9s} {fits.loc[fits.quantity == col, 'slope'].iloc[0]:5.2f}"
        for col, label in columns if (fits.quantity == col).any())


def _box(ax, text, x=0.03, y=0.97, ha="left", va="top"):
    ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=6, family="monospace",
            bbox={"boxstyle": "round,pad=0.3", "fc": "white", "ec": "0.8", "alpha": 0.9})


def _steps_figure(sweep, fits, directory, dim):
    fig, (ax_mem, ax_time) = figure(PAGE_WIDTH, 2.8, ncols=2, layout="constrained")
    for column, style in MEMORY.items():
        ax_mem.plot(sweep["steps"], sweep[column], **style)
    log_axes(ax_mem)
    ax_mem.set_xlabel("T (RK4 steps)")
    ax_mem.set_ylabel("memory (bytes)")
    ax_mem.set_title(f"(a) memory of one derivative, state dimension d = {dim}")
    _box(ax_mem, _notes(fits, [("tape_bytes", "tape"), ("mem_grad", "grad"),
                               ("mem_grad_ckpt", "ckpt"), ("mem_jvp", "jvp"), ("mem_f", "f")]))
    notes = []
    for index, (host, rows) in enumerate(by_host(sweep)):
        for column, style in TIMES.items():
            ax_time.plot(rows["steps"], rows[column + "_ratio"], **host_style(style, host, index))
        host_fits = fits if host is None else fits[fits["host"] == host]
        notes.append(_notes(host_fits, [("time_grad_ratio", "grad"),
                                        ("time_grad_ckpt_ratio", "ckpt"),
                                        ("time_jvp_ratio", "jvp")], host))
    log_axes(ax_time)
    ax_time.set_xlabel("T (RK4 steps)")
    ax_time.set_ylabel("time / time(plain evaluation)")
    ax_time.set_title("(b) wall time relative to f (median of repeats)")
    _box(ax_time, "\n".join(notes),
         x=0.97, y=0.03, ha="right", va="bottom")  # below the curves: both ratios exceed 1
    ax_time.set_ylim(bottom=1)  # both derivatives cost more than f: show the whole factor
    figure_legend(fig, ax_mem, sweep, loc="outside lower center", ncols=2, frameon=False)
    save(fig, directory / "figures", "memory_vs_steps")
    return "memory_vs_steps"


def _dim_figure(sweep, directory, steps):
    fig, ax = figure(COLUMN_WIDTH, 2.7, layout="constrained")
    per_step = {"tape_bytes": sweep["tape_bytes_per_step"],
                "mem_grad": (sweep["mem_grad"] - sweep["mem_f"]) / steps}
    for column, values in per_step.items():
        style = dict(MEMORY[column])
        style["label"] = {"tape_bytes": "tape residuals (admodes.cost)",
                          "mem_grad": "grad, traced peak − plain peak"}[column]
        ax.plot(sweep["dim"], values, **style)
    log_axes(ax)
    ax.set_xlabel("d (state dimension)")
    ax.set_ylabel("bytes per RK4 step")
    ax.set_title(f"Reverse-mode memory per step (T = {steps})")
    ax.legend(loc="upper left", frameon=False)
    save(fig, directory / "figures", "memory_per_step_vs_dim")
    return "memory_per_step_vs_dim"


def _fit(fits, column):
    row = fits[fits.quantity == column] if not fits.empty else fits
    if row.empty:
        return "n/a"
    return f"{row['slope'].iloc[0]:.2f} ± {row['ci'].iloc[0]:.2f}"


def _time_finding(sweep, config):
    """Time ratios at the largest T and their slopes vs T, from the rows of one host."""
    top = sweep.iloc[-1]
    fits = _slopes(sweep, "steps", TIME_RATIOS)
    return (f"Time relative to the plain evaluation at T = {int(top['steps']):,}: grad "
            f"×{top['time_grad_ratio']:.3g}, checkpointed grad ×{top['time_grad_ckpt_ratio']:.3g},"
            f" JVP ×{top['time_jvp_ratio']:.3g} (slopes vs T {_fit(fits, 'time_grad_ratio')}, "
            f"{_fit(fits, 'time_grad_ckpt_ratio')} and {_fit(fits, 'time_jvp_ratio')}); forward "
            f"mode needs d = {config['dim']} such passes for the full gradient, reverse mode one.")


def report(data, directory, config):
    data = with_ratios(data)
    by_steps, by_dim = step_sweep(data, config), dim_sweep(data, config)
    fits_t = slopes(by_steps, "steps")
    fits_d = slopes(by_dim, "dim")
    fits = pd.concat([fits_t, fits_d], ignore_index=True)
    figures = [((f"Memory (left) and time (right) of a reverse-mode gradient (plain and "
                 f"checkpointed every √T steps), one forward-mode "
                 f"JVP and a plain evaluation of L versus the number of RK4 steps T (d = "
                 f"{config['dim']}, log-log); the boxes give the fitted slopes"),
                _steps_figure(by_steps, fits_t, directory, config["dim"]))]
    if len(by_dim) >= 2:
        figures.append(((f"Reverse-mode memory per step versus the state dimension d at T = "
                         f"{config['dim_steps']}: the residual arrays grow like d, the traced "
                         f"memory adds a per-record bookkeeping cost independent of d"),
                        _dim_figure(by_dim, directory, config["dim_steps"])))
    t1 = write_table(fits, directory / "tables", "slopes",
                     caption=("Log-log slopes against T (d fixed) and against d (T fixed), with "
                              "the half-width of the 95% CI, and the increment per step or per "
                              "dimension of a straight-line fit (bytes, records or time ratio)."))
    summary = data[["steps", "dim", *host_column(data), "tape_records", "tape_bytes", "mem_grad",
                    "mem_grad_ckpt", "mem_jvp", "mem_f", "time_grad_ratio",
                    "time_grad_ckpt_ratio", "time_jvp_ratio", "dot_error"]]
    t2 = write_table(summary, directory / "tables", "memory",
                     caption=("Tape and traced peak memory (bytes) and time relative to the "
                              "plain evaluation, per point."), float_format="{:.3g}")

    def fit(column, fits=fits_t):
        return _fit(fits, column)

    def per_step(column):
        row = fits_t[fits_t.quantity == column]
        return float(row["per_unit"].iloc[0]) if not row.empty else float("nan")

    findings = []
    if not fits_t.empty:
        top = by_steps.iloc[-1]
        records, residuals = top["tape_records_per_step"], top["tape_bytes_per_step"]
        traced = per_step("mem_grad")
        findings += [
            (f"Memory vs T (d = {config['dim']}), log-log slopes: tape bytes {fit('tape_bytes')},"
             f" reverse-mode traced peak {fit('mem_grad')}, forward-mode (JVP) traced peak "
             f"{fit('mem_jvp')}, plain evaluation {fit('mem_f')} (theory: 1, 1, 0, 0; the tape's "
             f"slope is below 1 only by the residuals saved once, such as the matrix A)."),
            (f"Each RK4 step adds {records:.0f} tape records and {residuals:,.0f} bytes of "
             f"residual arrays ({residuals / (8 * config['dim']):.3g} state-sized arrays of "
             f"{8 * config['dim']} B); the traced peak of grad grows by {traced:,.0f} bytes per "
             f"step (straight-line fit): about {(traced - residuals) / records:.0f} bytes per "
             f"tape record on top of its residuals (the record, its parent list, static "
             f"arguments and shape descriptors, array headers, the sweep's cotangent list)."),
            (f"At T = {int(top['steps']):,}: reverse mode's traced peak is "
             f"{top['mem_grad'] / 2**20:.3g} MiB (tape residuals {top['tape_bytes'] / 2**20:.3g}"
             f" MiB), forward mode's {top['mem_jvp'] / 2**10:.3g} KiB, the plain evaluation's "
             f"{top['mem_f'] / 2**10:.3g} KiB: reverse/forward = "
             f"{top['mem_grad'] / top['mem_jvp']:.3g}×."),
        ]
        extra = (top["flops_grad_ckpt"] - top["flops_grad"]) / top["flops_f"]
        findings += [
            (f"Checkpointing (ad.checkpoint on segments of s = round(√T) steps; the tape keeps "
             f"the T/s segment inputs, the sweep records one segment at a time): traced peak "
             f"slope {fit('mem_grad_ckpt')} against T (theory 0.5); at T = "
             f"{int(top['steps']):,} (s = {int(top['segment'])}) "
             f"{top['mem_grad_ckpt'] / 2**20:.3g} MiB against {top['mem_grad'] / 2**20:.3g} MiB "
             f"without ({top['mem_grad'] / top['mem_grad_ckpt']:.3g}× less), for "
             f"{extra:.3g}× the FLOPs of f more (theory: one more evaluation of the rollout); "
             f"largest relative difference of the two gradients {data['ckpt_error'].max():.1e}."),
        ]
        findings += findings_per_host(by_steps, lambda rows: _time_finding(rows, config))
    if not fits_d.empty:
        small, large = by_dim.iloc[0], by_dim.iloc[-1]
        share = [row["tape_bytes_per_step"] * config["dim_steps"] / (row["mem_grad"] -
                                                                      row["mem_f"])
                 for row in (small, large)]
        findings.append(
            f"Memory vs d at T = {config['dim_steps']}: residual bytes per step slope "
            f"{fit('tape_bytes_per_step', fits_d)}, traced grad peak slope "
            f"{fit('mem_grad', fits_d)}; the residuals are "
            f"{share[0]:.0%} of the traced memory at d = {int(small['dim'])} and {share[1]:.0%} "
            f"at d = {int(large['dim'])}: per-record bookkeeping dominates small states.")
    findings.append(f"Forward mode recorded {int(data['jvp_tape_records'].max())} tape records; "
                    f"largest |∇L·v − JVP| / ‖∇L‖ over all points: "
                    f"{data['dot_error'].max():.1e}.")
    setup = (f"Generalized Lotka-Volterra system dy/dt = y ⊙ (r + A y), classical RK4 with h = "
             f"{STEP}; loss ½‖y_T‖² differentiated with respect to the d growth rates r. Steps "
             f"T = {', '.join(str(t) for t in config['steps'])} at d = {config['dim']}; state "
             f"dimensions d = {', '.join(str(d) for d in config['dims'])} at T = "
             f"{config['dim_steps']}. Tape records and residual bytes from admodes.cost "
             f"(deterministic; each saved array counted once); peak memory from tracemalloc "
             f"(numpy buffers and Python objects allocated during one call, above the memory in "
             f"use before it); reverse mode = ad.grad, forward mode = one ad.jvp in a seeded "
             f"unit direction, checkpointed = ad.grad with each segment of round(√T) steps "
             f"an ad.checkpoint, plain = the loss on numpy arrays. Wall time: median of up to "
             f"{config['repeats']} repeats (at most {config['max_time']} s each), without "
             f"tracemalloc; BLAS threads {config['threads']}, seed {config['seed']}.")
    return {"setup": setup, "findings": findings, "figures": figures,
            "tables": [("Fitted slopes", t1["markdown"], "slopes"),
                       ("Memory per point", t2["markdown"], "memory")],
            "fits": fits}
