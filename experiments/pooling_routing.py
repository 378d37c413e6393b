"""Where the gradient goes through max and average pooling (1-D and 2-D, with window and stride).

What: for a seeded 1-D signal and 2-D feature map, pooled by ``admodes.nn.max_pool{1,2}d`` and
``avg_pool{1,2}d`` over a few (window, stride) geometries, the full Jacobian of the pooled output
by forward mode (``jacfwd``) and by reverse mode (``jacrev``), and the gradient map
x̄ = Jᵀȳ of an all-ones and of a random output cotangent ȳ. Counted per geometry: the fraction
of inputs that receive any gradient, the entries per window that receive a share (the nonzeros
of a Jacobian row), the largest number of windows routing to one input, whether each window
passes on exactly its cotangent (Σ x̄ = Σ ȳ) and the largest |jacfwd − jacrev|. A third input,
the feature map quantized to four levels, has tied maxima; there the tie convention
(``ad.conventions.use(ties="split" | "first")``) decides the routing. Synonyms: max-pool
"switches" (the arg-max positions a deconvolution or unpooling layer reuses), gradient routing,
subsampling.

Theory (Goodfellow, Bengio & Courville 2016, ch. 9.3; the rules in ``admodes.ops.pooling``).
With window W(o) of K entries, average pooling y_o = (1/K) Σ_{i∈W(o)} x_i is linear and sends
ȳ_o/K to each entry of its window. Max pooling y_o = max_{i∈W(o)} x_i is piecewise linear; away
from ties its Jacobian row is the indicator of the window's arg-max, so ȳ_o goes to one entry.
Where windows overlap (stride < window) the contributions of all windows containing an entry add
up; where stride > window some inputs belong to no window and get nothing. Every row of either
Jacobian sums to 1, so Σ_i x̄_i = Σ_o ȳ_o. At a tie the max is not differentiable: "split"
shares ȳ_o evenly among the m tied entries, "first" gives it all to the first in C order of
the window; both are elements of the Clarke generalized gradient of the window's max
(the convex hull of the tied entries' unit vectors): "split" is its barycentre, "first" a
vertex. Both engines apply the same choice.

When it matters: max pooling makes the gradient sparse (at most one entry in K per window
receives it, fewer when one entry wins several overlapping windows), so most of a max-pooled
layer's inputs get exactly zero gradient from one example; average pooling spreads it densely.

Cost: one Jacobian per mode and point, of at most a few hundred by a few thousand entries.

References: Goodfellow, Bengio & Courville (2016), Deep Learning, MIT Press, ch. 9.3;
Zeiler & Fergus (2014), doi:10.1007/978-3-319-10590-1_53 (max-pool switches).
"""

from __future__ import annotations

import numpy as np

import admodes as ad
import admodes.numpy as anp
from admodes import nn
from admodes.ops.pooling import geometry, window_indices, windows
from experiments.reporting.figures import PAGE_WIDTH, figure, save
from experiments.reporting.tables import write_table

TITLE = "Pooling: where the gradient goes (max routes to the arg-max, average splits evenly)"
QUESTION = ("Which inputs receive the gradient of max and average pooling, in 1-D and 2-D, "
            "with overlapping windows and with ties, and do forward and reverse mode agree?")
REFERENCES = (
    ("Goodfellow, I., Bengio, Y. & Courville, A. (2016). Deep Learning. MIT Press, ch. 9.3 "
     "(pooling). https://www.deeplearningbook.org"),
    ("Clarke, F. H. (1983). Optimization and Nonsmooth Analysis. Wiley; reprinted SIAM 1990, "
     "ch. 2 (generalized gradients). doi:10.1137/1.9781611971309"),
    ("Zeiler, M. D. & Fergus, R. (2014). Visualizing and understanding convolutional networks. "
     "ECCV 2014, 818-833. doi:10.1007/978-3-319-10590-1_53"),
)
KEY_FIELDS = ("signal", "pool", "window", "stride", "ties")
SIGNALS = ("1d", "2d", "2d_levels")
LEVELS = 4  # quantization levels of the tied feature map

QUICK = {"length": 32, "size": 12, "geometries": [(2, 2), (3, 2), (3, 1), (2, 3)]}
FULL = {"length": 64, "size": 24, "geometries": [(2, 2), (3, 3), (3, 2), (3, 1), (4, 2),
                                                 (2, 3)]}

POOLS = {("max", 1): nn.max_pool1d, ("avg", 1): nn.avg_pool1d,
         ("max", 2): nn.max_pool2d, ("avg", 2): nn.avg_pool2d}


# -- inputs -------------------------------------------------------------------------------------

def make_signal(kind, config):
    """The seeded input: a noisy 1-D wave, a 2-D map of Gaussian blobs plus noise, or that map
    quantized to ``LEVELS`` values (many tied maxima)."""
    rng = np.random.default_rng([config["seed"], SIGNALS.index(kind)])
    if kind == "1d":
        t = np.linspace(0.0, 1.0, config["length"])
        return np.sin(6 * np.pi * t) + 0.3 * rng.standard_normal(t.size)
    n = config["size"]
    grid = np.linspace(0.0, 1.0, n)
    yy, xx = np.meshgrid(grid, grid, indexing="ij")
    image = 0.2 * np.random.default_rng([config["seed"], 1]).standard_normal((n, n))
    blobs = np.random.default_rng([config["seed"], 2]).uniform(0.1, 0.9, size=(4, 2))
    for cy, cx in blobs:
        image += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 0.02)
    if kind == "2d":
        return image
    edges = np.quantile(image, np.linspace(0, 1, LEVELS + 1)[1:-1])
    return np.digitize(image, edges).astype(float)


def pool_function(pool, signal, window, stride):
    dims = 1 if signal == "1d" else 2
    op = POOLS[(pool, dims)]
    return lambda x: op(x, window, stride)


# -- the sweep ----------------------------------------------------------------------------------

def points(config):
    for signal in SIGNALS:
        for pool in ("max", "avg"):
            ties = ("split", "first") if signal == "2d_levels" and pool == "max" else ("split",)
            for window, stride in config["geometries"]:
                for tie in ties:
                    yield {"signal": signal, "pool": pool, "window": window, "stride": stride,
                           "ties": tie}


def gradient_map(f, x, cotangent):
    """x̄ = Jᵀȳ by reverse mode: the gradient of <ȳ, f(x)>."""
    return ad.grad(lambda x: anp.sum(f(x) * cotangent))(x)


def coverage(x, window, stride):
    """Fraction of the inputs that lie in at least one window (geometry only)."""
    dims = x.ndim
    window_t, stride_t, _ = geometry(x.shape, window, stride, dims, "coverage")
    covered = np.zeros(x.size, dtype=bool)
    covered[window_indices(x.shape, window_t, stride_t).ravel()] = True
    return float(covered.mean())


def tied_fraction(x, window, stride):
    """Fraction of the windows whose maximum is attained more than once (a kink of max)."""
    window_t, stride_t, _ = geometry(x.shape, window, stride, x.ndim, "tied_fraction")
    view = windows(x, window_t, stride_t)
    flat = view.reshape(view.shape[:x.ndim] + (-1,))
    return float(np.mean(np.sum(flat == flat.max(axis=-1, keepdims=True), axis=-1) > 1))


def measure(point, config):
    x = make_signal(point["signal"], config)
    f = pool_function(point["pool"], point["signal"], point["window"], point["stride"])
    y = f(x)
    cotangent = np.random.default_rng(config["seed"]).standard_normal(y.shape)
    with ad.conventions.use(ties=point["ties"]):
        j_fwd = ad.jacfwd(f)(x).reshape(y.size, x.size)
        j_rev = ad.jacrev(f)(x).reshape(y.size, x.size)
        ones = gradient_map(f, x, np.ones_like(y))
        routed = gradient_map(f, x, cotangent)
    shares = np.count_nonzero(j_rev, axis=1)      # entries of each window that get a share
    senders = np.count_nonzero(j_rev, axis=0)     # windows that send a share to each input
    largest = np.max(j_rev, axis=1)
    return {"inputs": x.size, "outputs": y.size, "window_size": point["window"] ** x.ndim,
            "frac_covered": coverage(x, point["window"], point["stride"]),
            "frac_receiving": float(np.mean(ones != 0)),
            "shares_per_window_min": int(shares.min()),
            "shares_per_window_max": int(shares.max()),
            "tied_windows": tied_fraction(x, point["window"], point["stride"]),
            "winners_per_window": float(np.count_nonzero(ones) / y.size),
            "largest_share_max": float(largest.max()), "largest_share_min": float(largest.min()),
            "max_windows_per_input": int(senders.max()),
            "max_gradient_ones": float(ones.max()),
            "row_sum_error": float(np.max(np.abs(j_rev.sum(axis=1) - 1.0))),
            "sum_error": float(abs(routed.sum() - cotangent.sum()) / np.abs(cotangent).sum()),
            "fwd_rev_diff": float(np.max(np.abs(j_fwd - j_rev))),
            "grad_vs_jacfwd": float(np.max(np.abs(routed.ravel() - cotangent.ravel() @ j_fwd)))}


# -- the report ---------------------------------------------------------------------------------

def _pick(geometries, overlapping):
    """The first geometry with stride < window (overlapping) or stride == window."""
    for window, stride in geometries:
        if (stride < window) if overlapping else (stride == window):
            return window, stride
    return geometries[0]


def _shown_geometries(config):
    return [_pick(config["geometries"], False), _pick(config["geometries"], True)]


def _image(ax, values, title, cmap="viridis", vmin=None, vmax=None):
    shown = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_title(title, fontsize=6)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    return shown


def _gradient_panel(fig, ax, g, title):
    image = _image(ax, g, f"{title}\n{np.mean(g != 0):.0%} of inputs nonzero", cmap="magma",
                   vmin=0.0)
    fig.colorbar(image, ax=ax, shrink=0.75, pad=0.02)


def _routing_2d_figure(config, directory):
    x = make_signal("2d", config)
    shown = _shown_geometries(config)
    fig, axes = figure(PAGE_WIDTH, 1.55 * len(shown) + 0.2, nrows=len(shown), ncols=5,
                       layout="constrained", squeeze=False)
    for row, (window, stride) in zip(axes, shown):
        _image(row[0], x, f"input x ({x.shape[0]}×{x.shape[1]})\nwindow {window}, "
                          f"stride {stride}")
        for col, pool in enumerate(("max", "avg")):
            f = pool_function(pool, "2d", window, stride)
            y = f(x)
            _image(row[1 + col], y, f"{pool}_pool2d(x)\n{y.shape[0]}×{y.shape[1]}")
            _gradient_panel(fig, row[3 + col], gradient_map(f, x, np.ones_like(y)),
                            f"x̄ of {pool} pool (ȳ = 1)")
    save(fig, directory / "figures", "routing_2d")
    return "routing_2d"


def _routing_1d_figure(config, directory):
    x = make_signal("1d", config)
    shown = _shown_geometries(config)
    fig, axes = figure(PAGE_WIDTH, 3.2, nrows=2, ncols=len(shown), layout="constrained",
                       squeeze=False, sharex=True)
    positions = np.arange(x.size)
    for col, (window, stride) in enumerate(shown):
        top, bottom = axes[0, col], axes[1, col]
        top.plot(positions, x, color="0.5", marker=".", linewidth=0.8, label="input x")
        centres = np.arange(len(nn.max_pool1d(x, window, stride))) * stride + (window - 1) / 2
        for pool, color in (("max", "tab:red"), ("avg", "tab:blue")):
            f = pool_function(pool, "1d", window, stride)
            top.plot(centres, f(x), color=color, marker="s", linestyle="none",
                     label=f"{pool} pool (at window centre)")
            g = gradient_map(f, x, np.ones_like(f(x)))
            offset = -0.15 if pool == "max" else 0.15
            bottom.vlines(positions + offset, 0, g, color=color, linewidth=1.5,
                          label=f"x̄ of {pool} pool ({np.mean(g != 0):.0%} nonzero)")
        top.set_title(f"window {window}, stride {stride}")
        top.legend(loc="lower left", frameon=False, fontsize=5)
        bottom.set_xlabel("input position i")
        bottom.set_ylabel("x̄_i for ȳ = 1")
        bottom.legend(loc="upper right", frameon=False, fontsize=5)
    save(fig, directory / "figures", "routing_1d")
    return "routing_1d"


def _ties_figure(config, directory):
    x = make_signal("2d_levels", config)
    shown = _shown_geometries(config)
    fig, axes = figure(PAGE_WIDTH * 0.7, 1.7 * len(shown) + 0.2, nrows=len(shown), ncols=3,
                       layout="constrained", squeeze=False)
    for row, (window, stride) in zip(axes, shown):
        _image(row[0], x, f"{LEVELS}-level input\nwindow {window}, stride {stride}")
        f = pool_function("max", "2d_levels", window, stride)
        for col, ties in enumerate(("split", "first")):
            with ad.conventions.use(ties=ties):
                g = gradient_map(f, x, np.ones_like(f(x)))
            _gradient_panel(fig, row[1 + col], g, f"x̄ of max pool, ties={ties!r}")
    save(fig, directory / "figures", "ties_2d")
    return "ties_2d"


SUMMARY = ["signal", "pool", "window", "stride", "ties", "inputs", "outputs", "frac_covered",
           "frac_receiving", "shares_per_window_min", "shares_per_window_max", "tied_windows",
           "winners_per_window",
           "max_windows_per_input", "max_gradient_ones", "sum_error", "fwd_rev_diff"]


def select(data, **where):
    mask = np.ones(len(data), dtype=bool)
    for column, value in where.items():
        mask &= data[column] == value
    return data[mask]


def report(data, directory, config):
    data = data.sort_values(list(KEY_FIELDS)).reset_index(drop=True)
    figures = [
        (("Max and average pooling of a seeded 2-D feature map and the gradient map x̄ = Jᵀ1 "
         "each sends back: max pooling routes every window's cotangent to its arg-max only, "
         "average pooling spreads 1/K over the window; where windows overlap (bottom row) "
         "the contributions add up"), _routing_2d_figure(config, directory)),
        (("1-D: a noisy wave, its max- and average-pooled values (top) and the gradient each "
         "input receives for ȳ = 1 (bottom), without and with overlapping windows"),
         _routing_1d_figure(config, directory)),
        ((f"Ties: the feature map quantized to {LEVELS} levels has windows with several maxima; "
         f"ties='split' shares each window's cotangent among them, ties='first' gives it to the "
         f"first in C order"), _ties_figure(config, directory)),
    ]
    table = write_table(data[SUMMARY], directory / "tables", "routing",
                        caption=("Per signal, pool, geometry and tie convention: fraction of "
                                 "inputs in some window and receiving gradient (ȳ = 1), entries "
                                 "per window receiving a share (min, max), fraction of windows "
                                 "with a tied maximum, most windows routing to one input, "
                                 "largest gradient entry for ȳ = 1, |Σx̄ − Σȳ|/Σ|ȳ| for a "
                                 "random ȳ and max |jacfwd − jacrev|."), float_format="{:.3g}")
    untied = data[data.signal != "2d_levels"]
    maxes, avgs = select(untied, pool="max"), select(untied, pool="avg")
    disjoint = maxes[maxes.window == maxes.stride]
    overlap = maxes[maxes.stride < maxes.window]
    findings = [
        (f"Max pooling without ties: every window sends its cotangent to exactly one entry "
         f"(shares per window {maxes.shares_per_window_min.min()}–"
         f"{maxes.shares_per_window_max.max()}, share {maxes.largest_share_min.min():g}) in "
         f"all {len(maxes)} 1-D and 2-D geometries; with disjoint windows the inputs receiving "
         f"gradient are exactly one per window (fraction = windows/inputs, 1/K where the "
         f"windows tile the input): "
         + ", ".join(f"{r.frac_receiving:.3g} = {r.outputs}/{r.inputs} (K = {r.window_size})"
                     for r in disjoint.itertuples()) + "."),
        (f"Average pooling gives every covered input a share: fraction receiving = fraction "
         f"covered in all {len(avgs)} geometries "
         f"({'yes' if (avgs.frac_receiving == avgs.frac_covered).all() else 'NO'}); each window "
         f"splits into K shares of 1/K (shares per window = K: "
         f"{'yes' if (avgs.shares_per_window_min == avgs.window_size).all() else 'NO'})."),
    ]
    if not overlap.empty:
        findings.append(
            "Overlapping windows accumulate: with stride < window one input wins up to "
            + ", ".join(f"{r.max_windows_per_input} windows ({r.signal}, window {r.window}, "
                        f"stride {r.stride})" for r in overlap.itertuples())
            + f" (largest max-pool gradient entry for ȳ = 1: "
            f"{overlap.max_gradient_ones.max():g}); distinct gradient-receiving entries per "
            f"window: "
            + ", ".join(f"{r.winners_per_window:.2f}" for r in overlap.itertuples())
            + " (1 would mean no entry wins two windows).")
    tied = select(data, signal="2d_levels", pool="max")
    if not tied.empty:
        split, first = select(tied, ties="split"), select(tied, ties="first")
        findings.append(
            f"Ties ({LEVELS}-level map): {tied.tied_windows.min():.0%}–"
            f"{tied.tied_windows.max():.0%} of the windows have a tied maximum (the smooth map: "
            f"{untied.tied_windows.max():.0%}); 'split' shares "
            f"their cotangent among up to {split.shares_per_window_max.max()} entries (smallest "
            f"share {split.largest_share_min.min():.3g}) and reaches "
            f"{split.frac_receiving.mean():.0%} of the inputs on average, 'first' keeps one "
            f"entry per window ({first.shares_per_window_max.max()}) and reaches "
            f"{first.frac_receiving.mean():.0%}.")
    findings.append(
        f"Every window passes on exactly its cotangent: max |row sum of J − 1| = "
        f"{data.row_sum_error.max():.1e}, max |Σx̄ − Σȳ|/Σ|ȳ| = {data.sum_error.max():.1e} "
        f"(random ȳ). Forward and reverse mode agree under each convention: max |jacfwd − "
        f"jacrev| = {data.fwd_rev_diff.max():.1e}, max |grad − ȳᵀ·jacfwd| = "
        f"{data.grad_vs_jacfwd.max():.1e}.")
    geometries = ", ".join(f"({w}, {s})" for w, s in config["geometries"])
    setup = (f"Inputs (seed {config['seed']}): a 1-D wave sin(6πt) + 0.3·noise of length "
             f"{config['length']}; a {config['size']}×{config['size']} map of four Gaussian "
             f"blobs plus 0.2·noise; the same map quantized to {LEVELS} levels (ties). Pools "
             f"admodes.nn.max_pool1d/2d and avg_pool1d/2d with (window, stride) in "
             f"{geometries} (the same on both axes in 2-D; 'valid' padding). Jacobians by "
             f"ad.jacfwd and ad.jacrev; gradient maps x̄ = ∇<ȳ, pool(x)> by ad.grad for ȳ = 1 "
             f"and for a seeded standard normal ȳ; tie conventions set with "
             f"ad.conventions.use(ties=...) ('split' where not stated).")
    return {"setup": setup, "findings": findings, "figures": figures,
            "tables": [("Routing counts per point", table["markdown"], "routing")]}
