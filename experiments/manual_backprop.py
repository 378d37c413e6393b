"""Backpropagation by hand vs the engines, and what backpropagation saves over naive chain rules.

What: an L-layer perceptron (multilayer perceptron, MLP) with a linear output layer and the
squared loss over a batch of B examples, stored column-wise as in Nielsen (2015, ch. 2),

    h_0 = X ∈ R^{n_0×B},  a_l = W_l h_{l−1} + b_l 1^T,  h_l = φ(a_l)  (l < L),
    f = a_L ∈ R^{n_L×B},  loss = ½ Σ_batch ‖f − Y‖²,

with W_l ∈ R^{n_l×n_{l−1}} and b_l ∈ R^{n_l×1}. Its gradient is written out by hand with the
four backpropagation equations (Rumelhart, Hinton & Williams 1986; Nielsen 2015, eqs. BP1-BP4),
in matrix form over the batch:

    δ^L = f − Y                                  (output error of a linear output, squared loss)
    δ^l = φ'(a_l) ⊙ (W_{l+1}^T δ^{l+1})          (error backpropagated one layer)
    ∇b_l = δ^l 1           (Σ over the batch)    ∇W_l = δ^l h_{l−1}^T   (Σ over the batch)

and compared with both admodes engines: reverse mode (``ad.grad``) and forward mode (``ad.jacfwd``
on small networks, JVPs in random directions on large ones), to 1e-12 relative.

Work reuse. Each partial derivative ∂loss/∂W_l[i, j] is a sum over every path from unit i of
layer l to the outputs (chain rule along each path, Rumelhart et al. 1986): a path picks one
unit in each later layer, so there are P_l = Π_{m>l} n_m of them, and along each the factors are
h_{l−1}[j], φ'(a_l)[i], then W_m[i_m, i_{m−1}] and φ'(a_m)[i_m] for each later layer m, and the
output error δ^L[i_L]: 2(L−l)+2 factors, 2(L−l)+1 multiplications (one fewer for a bias). The
naive method evaluates every such product for every parameter independently; per example it
costs

    Σ_l [n_l n_{l−1} (P_l (2(L−l)+1) + P_l − 1) + n_l (P_l · 2(L−l) + P_l − 1)]

multiplications and additions, plus B − 1 additions per parameter for the batch sum. For a
uniform width w that is Θ(L·w^L): polynomial of degree L in the width, exponential in the depth.
Backpropagation shares the path sums layer by layer (δ^l is the sum over all paths from layer l
to the outputs), so the gradient costs a small constant times the loss, Θ(L w² B) — the cheap
gradient principle (Griewank & Walther 2008, section 4.6). Forward mode computes one directional
derivative per pass and needs one pass per parameter: Θ(L w²) passes of Θ(L w² B), Θ(L² w⁴ B).

How it is measured: FLOPs and primitive operations of f, the hand-written backpropagation, the
reverse-mode gradient and one forward-mode JVP (times the number of parameters) come from
``admodes.cost`` (deterministic, each op's cost model); the naive count is the formula above,
plus the forward pass and local derivatives it needs (the same as backpropagation's, measured),
and is checked on tiny networks by running the naive method and counting every multiplication
and addition it performs.

References: Rumelhart, Hinton & Williams 1986, doi:10.1038/323533a0; Nielsen 2015, ch. 2;
Griewank & Walther 2008, doi:10.1137/1.9780898717761.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

import admodes as ad
import admodes.nn as ann
import admodes.numpy as anp
from experiments.harness.fitting import loglog_slope
from experiments.reporting.figures import COLUMN_WIDTH, METHOD_STYLE, figure, log_axes, save
from experiments.reporting.tables import write_table

TITLE = "Backpropagation by hand vs the engines: the four equations and the work they reuse"
QUESTION = ("Do the four backpropagation equations, written by hand, give the engines' gradient "
            "to 1e-12, and how much work does backpropagation save over differentiating each "
            "parameter along all its paths, and over forward mode, as width and depth grow?")
REFERENCES = (
    ("Rumelhart, D. E., Hinton, G. E. & Williams, R. J. (1986). Learning representations by "
     "back-propagating errors. Nature 323, 533-536. doi:10.1038/323533a0"),
    ("Nielsen, M. A. (2015). Neural Networks and Deep Learning. Determination Press, ch. 2 "
     "(How the backpropagation algorithm works: the four fundamental equations). "
     "http://neuralnetworksanddeeplearning.com/chap2.html"),
    ("Griewank, A. & Walther, A. (2008). Evaluating Derivatives: Principles and Techniques of "
     "Algorithmic Differentiation, 2nd ed. SIAM, section 4.6 (the cheap gradient principle). "
     "doi:10.1137/1.9780898717761"),
)
KEY_FIELDS = ("sweep", "width", "depth")
OUTPUTS = 2          # n_L: width of the linear output layer
ACTIVATION = "tanh"  # φ of the hidden layers in the sweep

QUICK = {"widths": [2, 4, 8, 16, 32, 64], "width_depth": 5, "depths": [1, 2, 3, 4, 5, 6, 7, 8],
         "depth_width": 8, "batch": 8, "enumerate_max_paths": 4000, "jacfwd_max_params": 1500,
         "directions": 3}
FULL = {"widths": [2, 4, 8, 16, 32, 64, 128, 256], "width_depth": 5,
        "depths": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], "depth_width": 8, "batch": 16,
        "enumerate_max_paths": 20000, "jacfwd_max_params": 3000, "directions": 5}


# -- the network ------------------------------------------------------------------------------

def _tanh_prime(h):
    return 1.0 - h * h


def _sigmoid_prime(h):
    return h * (1.0 - h)


# φ and φ' written with the output h = φ(a), which is what the forward pass keeps.
ACTIVATIONS = {"tanh": (anp.tanh, _tanh_prime), "sigmoid": (ann.sigmoid, _sigmoid_prime)}


def _activation(name):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}; got {name!r}")
    return ACTIVATIONS[name]


def layer_widths(width: int, depth: int, outputs: int = OUTPUTS) -> list[int]:
    """[n_0, …, n_L]: ``width`` inputs and hidden units per layer, ``depth`` = L weight layers."""
    for label, value in (("width", width), ("depth", depth), ("outputs", outputs)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"layer_widths: {label} must be a positive integer; got {value!r}")
    return [int(width)] * depth + [int(outputs)]


def init_params(widths, seed) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(W_1, b_1), …, (W_L, b_L)], W_l ~ N(0, 1/n_{l−1}), b_l ~ N(0, 0.1²), seeded."""
    widths = [int(n) for n in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"init_params: widths must be at least two positive layer sizes "
                         f"[n_0, …, n_L]; got {widths!r}")
    rng = np.random.default_rng([seed, *widths])
    return [(rng.standard_normal((n_out, n_in)) / np.sqrt(n_in),
             0.1 * rng.standard_normal((n_out, 1)))
            for n_in, n_out in itertools.pairwise(widths)]


def make_batch(widths, batch, seed) -> tuple[np.ndarray, np.ndarray]:
    """Inputs X ∈ R^{n_0×B} and targets Y ∈ R^{n_L×B}, standard normal, seeded."""
    rng = np.random.default_rng([seed, batch, *widths, 1])
    return rng.standard_normal((widths[0], batch)), rng.standard_normal((widths[-1], batch))


def _check(params, x, y):
    if not params or not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in params):
        raise TypeError("params must be a non-empty list of (W, b) pairs; got "
                        f"{type(params).__name__} {params!r:.80}")
    n_in = np.shape(x)[0]
    for index, (w, b) in enumerate(params, start=1):
        if np.ndim(w) != 2 or np.shape(w)[1] != n_in or np.shape(b) != (np.shape(w)[0], 1):
            raise ValueError(f"layer {index}: expected W of shape (n_{index}, {n_in}) and b of "
                             f"shape (n_{index}, 1); got W {np.shape(w)}, b {np.shape(b)}")
        n_in = np.shape(w)[0]
    if np.shape(y) != (n_in, np.shape(x)[1]):
        raise ValueError(f"targets Y must have shape (n_L, B) = ({n_in}, {np.shape(x)[1]}); "
                         f"got {np.shape(y)}")


def loss(params, x, y, activation=ACTIVATION):
    """½ Σ_batch ‖f(x) − y‖² of the MLP (linear output layer)."""
    _check(params, x, y)
    phi, _ = _activation(activation)
    h = x
    for w, b in params[:-1]:
        h = phi(w @ h + b)
    w, b = params[-1]
    error = w @ h + b - y
    return 0.5 * anp.sum(error * error)


def local_quantities(params, x, y, activation=ACTIVATION):
    """What both hand-written methods need from the forward pass.

    Returns ([h_0, …, h_{L−1}], [φ'(a_1), …, φ'(a_{L−1})], δ^L = f − y).
    """
    _check(params, x, y)
    phi, phi_prime = _activation(activation)
    hs, slopes = [x], []
    for w, b in params[:-1]:
        h = phi(w @ hs[-1] + b)
        hs.append(h)
        slopes.append(phi_prime(h))
    w, b = params[-1]
    return hs, slopes, w @ hs[-1] + b - y


def backprop(params, x, y, activation=ACTIVATION):
    """∇loss by the four backpropagation equations (BP1-BP4), batched: [(∇W_l, ∇b_l)]."""
    hs, slopes, delta = local_quantities(params, x, y, activation)
    grads = []
    for layer in range(len(params) - 1, -1, -1):
        grads.append((delta @ anp.transpose(hs[layer]), anp.sum(delta, axis=1, keepdims=True)))
        if layer > 0:
            delta = slopes[layer - 1] * (anp.transpose(params[layer][0]) @ delta)
    return grads[::-1]


# -- naive per-parameter differentiation ---------------------------------------------------------

class _FlopCounter:
    """Elementwise products and sums over the batch, counted (one FLOP per element)."""

    def __init__(self):
        self.multiplications = 0
        self.additions = 0

    def product(self, factors):
        out = factors[0]
        for factor in factors[1:]:
            out = out * factor
            self.multiplications += np.size(out)
        return out

    def total(self, terms, axis=None):
        out = np.sum(terms, axis=axis)
        self.additions += np.size(terms) - np.size(out)
        return out


def naive_gradient(params, x, y, activation=ACTIVATION):
    """∇loss with every partial derivative summed independently over all its paths.

    ∂loss/∂W_l[i, j] = Σ_batch Σ_paths h_{l−1}[j] φ'(a_l)[i] Π_{m>l} W_m[i_m, i_{m−1}] φ'(a_m)[i_m]
    δ^L[i_L] (no φ' at the output layer), and the same without h_{l−1}[j] for ∂loss/∂b_l[i];
    nothing is shared between parameters or paths except the forward pass. Returns
    ([(∇W_l, ∇b_l)], counts) with the multiplications, additions and paths it performed.
    """
    hs, slopes, delta = local_quantities(params, x, y, activation)
    depth = len(params)
    counter, paths = _FlopCounter(), 0
    grads = []
    for layer in range(1, depth + 1):
        w = params[layer - 1][0]
        later = [range(params[m - 1][0].shape[0]) for m in range(layer + 1, depth + 1)]

        def chain(i, tail, layer=layer):
            """Factors of one path i = i_l → i_{l+1} → … → i_L, after h_{l−1}[j]."""
            units = (i, *tail)
            factors = [slopes[layer - 1][i]] if layer < depth else []
            for m, (prev, unit) in enumerate(itertools.pairwise(units), start=layer + 1):
                factors.append(params[m - 1][0][unit, prev])
                if m < depth:
                    factors.append(slopes[m - 1][unit])
            return factors + [delta[units[-1]]]

        dw, db = np.zeros(w.shape), np.zeros((w.shape[0], 1))
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                terms = [counter.product([hs[layer - 1][j], *chain(i, tail)])
                         for tail in itertools.product(*later)]
                dw[i, j] = counter.total(counter.total(terms, axis=0))
                paths += len(terms)
            terms = [counter.product(chain(i, tail)) for tail in itertools.product(*later)]
            db[i, 0] = counter.total(counter.total(terms, axis=0))
            paths += len(terms)
        grads.append((dw, db))
    counts = {"paths": paths, "multiplications": counter.multiplications,
              "additions": counter.additions}
    return grads, counts


def naive_counts(widths, batch) -> dict:
    """The naive method's paths, multiplications and additions, by the formula (see module doc).

    Per example and parameter of layer l there are P_l = Π_{m>l} n_m paths of 2(L−l)+1
    multiplications (2(L−l) for a bias) and P_l − 1 additions; each product runs over the B
    examples, then the batch sum adds B − 1 per parameter.
    """
    widths = [int(n) for n in widths]
    depth = len(widths) - 1
    paths = mults = adds = 0
    for layer in range(1, depth + 1):
        n_out, n_in = widths[layer], widths[layer - 1]
        per_unit = math.prod(widths[layer + 1:])
        steps = 2 * (depth - layer)
        paths += (n_out * n_in + n_out) * per_unit
        mults += batch * (n_out * n_in * per_unit * (steps + 1) + n_out * per_unit * steps)
        adds += (n_out * n_in + n_out) * (batch * (per_unit - 1) + batch - 1)
    return {"paths": paths, "multiplications": mults, "additions": adds}


def parameter_count(widths) -> int:
    return sum(n_out * (n_in + 1) for n_in, n_out in itertools.pairwise(widths))


# -- the sweep --------------------------------------------------------------------------------

def points(config):
    for width in config["widths"]:
        yield {"sweep": "width", "width": width, "depth": config["width_depth"]}
    for depth in config["depths"]:
        yield {"sweep": "depth", "width": config["depth_width"], "depth": depth}


def _flatten(grads):
    return np.concatenate([np.ravel(g) for pair in grads for g in pair])


def _relative_error(a, b):
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _forward_error(params, x, y, hand, config):
    """Hand-written gradient vs forward mode: the full jacfwd, or JVPs in random directions."""
    def f(p):
        return loss(p, x, y)

    if hand.size <= config["jacfwd_max_params"]:
        return _relative_error(hand, _flatten(ad.jacfwd(f)(params)))
    rng = np.random.default_rng(config["seed"])
    errors = []
    for _ in range(config["directions"]):
        v = [(rng.standard_normal(w.shape), rng.standard_normal(b.shape)) for w, b in params]
        _, tangent = ad.jvp(f, (params,), (v,))
        errors.append(abs(float(tangent) - float(hand @ _flatten(v))) /
                      (np.linalg.norm(hand) * np.linalg.norm(_flatten(v))))
    return max(errors)


def measure(point, config):
    widths = layer_widths(point["width"], point["depth"])
    params = init_params(widths, config["seed"])
    x, y = make_batch(widths, config["batch"], config["seed"])
    n_params, batch = parameter_count(widths), config["batch"]

    _, m_f = ad.cost.measure(loss, params, x, y)
    _, m_local = ad.cost.measure(local_quantities, params, x, y)
    hand_grads, m_hand = ad.cost.measure(backprop, params, x, y)
    hand = _flatten(hand_grads)
    with ad.cost.meter() as m_grad:
        reverse = _flatten(ad.grad(loss)(params, x, y))
    basis = [(np.zeros(w.shape), np.zeros(b.shape)) for w, b in params]
    basis[0][0][0, 0] = 1.0  # every basis direction costs the same: dense tangents
    with ad.cost.meter() as m_jvp:
        ad.jvp(lambda p: loss(p, x, y), (params,), (basis,))

    naive = naive_counts(widths, batch)
    row = {"params": n_params, "batch": batch,
           "flops_f": m_f.total_flops, "ops_f": m_f.ops,
           "flops_local": m_local.total_flops,
           "flops_hand": m_hand.total_flops, "ops_hand": m_hand.ops,
           "flops_grad": m_grad.total_flops, "ops_grad": m_grad.ops,
           "flops_jvp": m_jvp.total_flops, "ops_jvp": m_jvp.ops,
           "flops_forward": n_params * m_jvp.total_flops, "ops_forward": n_params * m_jvp.ops,
           "naive_paths": naive["paths"],
           "flops_naive": m_local.total_flops + naive["multiplications"] + naive["additions"],
           "naive_counted_flops": np.nan, "naive_error": np.nan,
           "error_reverse": _relative_error(hand, reverse),
           "error_forward": _forward_error(params, x, y, hand, config)}
    if naive["paths"] <= config["enumerate_max_paths"]:
        naive_grads, counted = naive_gradient(params, x, y)
        row["naive_counted_flops"] = (m_local.total_flops + counted["multiplications"] +
                                      counted["additions"])
        row["naive_error"] = _relative_error(_flatten(naive_grads), hand)
    return row


# -- the report -------------------------------------------------------------------------------

METHODS = {  # column -> plot style
    "flops_naive": {"color": "tab:purple", "marker": "^", "linestyle": "-",
                    "label": "naive: every parameter along all its paths"},
    "flops_forward": {**METHOD_STYLE["jacfwd_1"], "label": "forward mode: one JVP per parameter"},
    "flops_grad": {**METHOD_STYLE["grad"], "label": "reverse mode (ad.grad)"},
    "flops_hand": {"color": "tab:green", "marker": "s", "linestyle": "--",
                   "label": "backprop by hand (BP1-BP4)"},
    "flops_f": {**METHOD_STYLE["f"], "label": "loss f alone"},
}
RATIOS = {"naive_over_hand": ("flops_naive", "flops_hand"),
          "forward_over_hand": ("flops_forward", "flops_hand"),
          "hand_over_f": ("flops_hand", "flops_f"), "grad_over_f": ("flops_grad", "flops_f"),
          "grad_over_hand": ("flops_grad", "flops_hand")}


def with_ratios(data: pd.DataFrame) -> pd.DataFrame:
    data = data.copy()
    for name, (top, bottom) in RATIOS.items():
        data[name] = data[top] / data[bottom]
    return data


def width_sweep(data):
    return data[data["sweep"] == "width"].sort_values("width")


def depth_sweep(data):
    return data[data["sweep"] == "depth"].sort_values("depth")


def exponents(data: pd.DataFrame) -> pd.DataFrame:
    """Fitted growth of each method's FLOPs: log-log slope vs width (fixed depth) over the
    three largest widths, log-log slope vs depth (fixed width) and growth factor per layer
    exp(d log FLOPs / dL) over the three deepest networks."""
    rows = []
    by_width, by_depth = width_sweep(data), depth_sweep(data)
    for column in METHODS:
        row = {"method": column.removeprefix("flops_")}
        if len(by_width) >= 2:
            top = by_width.tail(3)
            row["slope_vs_width"] = loglog_slope(top["width"], top[column])["slope"]
        if len(by_depth) >= 2:
            top = by_depth.tail(3)
            row["slope_vs_depth"] = loglog_slope(top["depth"], top[column])["slope"]
            step = np.polyfit(top["depth"].to_numpy(float), np.log(top[column].to_numpy(float)),
                              1)[0]
            row["factor_per_layer"] = float(np.exp(step))
        rows.append(row)
    return pd.DataFrame(rows)


def _cost_figure(sweep, axis, directory, name, fixed):
    fig, ax = figure(COLUMN_WIDTH, 2.9, layout="constrained")
    for column, style in METHODS.items():
        ax.plot(sweep[axis], sweep[column], **style)
    counted = sweep.dropna(subset=["naive_counted_flops"])
    ax.plot(counted[axis], counted["naive_counted_flops"], linestyle="none", marker="o",
            markersize=7, markerfacecolor="none", color="tab:purple",
            label="naive, counted by running it")
    if axis == "width":
        log_axes(ax)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sweep["width"], [str(w) for w in sweep["width"]])
        ax.minorticks_off()
        ax.set_xlabel("width w (inputs and hidden units per layer)")
        ax.set_title(f"FLOPs of the gradient vs width (L = {fixed} layers)")
    else:
        ax.set_yscale("log")
        ax.set_xlabel("depth L (weight layers)")
        ax.set_title(f"FLOPs of the gradient vs depth (w = {fixed})")
    ax.set_ylabel("FLOPs (admodes.cost; naive by formula)")
    ax.legend(loc="upper left", frameon=False, fontsize=6)
    save(fig, directory / "figures", name)
    return name


def report(data, directory, config):
    data = with_ratios(data)
    by_width, by_depth = width_sweep(data), depth_sweep(data)
    fits = exponents(data)
    figures = []
    if len(by_width):
        figures.append(((f"FLOPs of one gradient of the squared loss versus the width w of a "
                         f"{config['width_depth']}-layer tanh MLP (batch {config['batch']}, "
                         f"log-log): naive per-parameter path sums, forward mode (one JVP per "
                         f"parameter), reverse mode, backpropagation by hand and the loss alone; "
                         f"circles: the naive method run and its operations counted"),
                        _cost_figure(by_width, "width", directory, "cost_vs_width",
                                     config["width_depth"])))
    if len(by_depth):
        figures.append(((f"The same FLOP counts versus the depth L at width "
                         f"{config['depth_width']} (log y, linear L): the naive count grows "
                         f"geometrically, forward mode quadratically, backpropagation linearly"),
                        _cost_figure(by_depth, "depth", directory, "cost_vs_depth",
                                     config["depth_width"])))
    ratio_table = data[["sweep", "width", "depth", "params", "naive_paths", *RATIOS]]
    t1 = write_table(ratio_table, directory / "tables", "ratios",
                     caption=("FLOP ratios per network: naive / hand backprop, forward mode "
                              "(one JVP per parameter) / hand backprop, hand backprop / f, "
                              "ad.grad / f and ad.grad / hand backprop."))
    t2 = write_table(fits, directory / "tables", "exponents",
                     caption=("Growth of each method's FLOPs: log-log slope vs width (three "
                              "widest networks), log-log slope vs depth and growth factor per "
                              "layer (three deepest networks)."))
    fit = fits.set_index("method")
    findings = [
        (f"Hand-written backpropagation (BP1-BP4) vs reverse mode: largest relative error "
         f"{data['error_reverse'].max():.1e}; vs forward mode (jacfwd up to "
         f"{config['jacfwd_max_params']} parameters, else {config['directions']} random JVPs): "
         f"{data['error_forward'].max():.1e}, over all {len(data)} networks.")]
    counted = data.dropna(subset=["naive_counted_flops"])
    if len(counted):
        exact = bool((counted["naive_counted_flops"] == counted["flops_naive"]).all())
        findings.append(
            f"The naive method, run on the {len(counted)} networks with at most "
            f"{config['enumerate_max_paths']:,} paths, performs "
            f"{'exactly' if exact else 'NOT'} the operations the formula counts and agrees with "
            f"backpropagation to {counted['naive_error'].max():.1e}.")
    if "slope_vs_width" in fit:
        top = by_width.iloc[-1]
        findings.append(
            f"Versus width at L = {config['width_depth']} (log-log slope over the three widest): "
            f"naive {fit.loc['naive', 'slope_vs_width']:.2f} (theory L = "
            f"{config['width_depth']}), forward mode {fit.loc['forward', 'slope_vs_width']:.2f} "
            f"(theory 4), reverse mode {fit.loc['grad', 'slope_vs_width']:.2f}, by hand "
            f"{fit.loc['hand', 'slope_vs_width']:.2f}, f {fit.loc['f', 'slope_vs_width']:.2f} "
            f"(theory 2). At w = {int(top['width'])}: naive / backprop = "
            f"{top['naive_over_hand']:.3g}, forward / backprop = {top['forward_over_hand']:.3g}.")
    if "factor_per_layer" in fit:
        top = by_depth.iloc[-1]
        findings.append(
            f"Versus depth at w = {config['depth_width']}: the naive count grows by a factor "
            f"{fit.loc['naive', 'factor_per_layer']:.2f} per layer (theory → w = "
            f"{config['depth_width']}, exponential); log-log slopes forward mode "
            f"{fit.loc['forward', 'slope_vs_depth']:.2f} (theory 2), reverse mode "
            f"{fit.loc['grad', 'slope_vs_depth']:.2f}, by hand "
            f"{fit.loc['hand', 'slope_vs_depth']:.2f} (theory 1). At L = {int(top['depth'])}: "
            f"naive / backprop = {top['naive_over_hand']:.3g}, forward / backprop = "
            f"{top['forward_over_hand']:.3g}.")
    if len(by_depth) >= 3:
        last = by_depth.tail(3)
        step = {c: np.diff(last[c].to_numpy(float)) for c in ("flops_f", "flops_hand",
                                                              "flops_grad", "flops_forward")}
        faster = by_depth[by_depth["flops_naive"] > by_depth["flops_forward"]]
        findings.append(
            f"Each layer added at w = {config['depth_width']} costs f {step['flops_f'][-1]:,.0f} "
            f"FLOPs, backprop by hand {step['flops_hand'][-1]:,.0f} "
            f"(×{step['flops_hand'][-1] / step['flops_f'][-1]:.2f}) and ad.grad "
            f"{step['flops_grad'][-1]:,.0f} (×{step['flops_grad'][-1] / step['flops_f'][-1]:.2f}):"
            f" constant increments, linear in L; forward mode's increment grows "
            f"({step['flops_forward'][0]:,.0f} then {step['flops_forward'][1]:,.0f}), quadratic "
            f"in L. The naive count overtakes forward mode from L = "
            f"{int(faster['depth'].min()) if len(faster) else 'n/a'} on (below that its path "
            f"sums are shorter than a pass over the whole network per parameter).")
        top = by_depth.iloc[-1]
        findings.append(
            f"Primitive operations at L = {int(top['depth'])}: f {int(top['ops_f'])}, backprop "
            f"by hand {int(top['ops_hand'])}, ad.grad {int(top['ops_grad'])}, forward mode "
            f"{int(top['ops_forward']):,} ({int(top['params'])} JVPs of {int(top['ops_jvp'])}).")
    findings.append(
        f"Backpropagation costs a small constant times f: hand / f between "
        f"{data['hand_over_f'].min():.2f} and {data['hand_over_f'].max():.2f}, ad.grad / f "
        f"between {data['grad_over_f'].min():.2f} and {data['grad_over_f'].max():.2f} "
        f"(ad.grad / hand {data['grad_over_hand'].min():.2f}-{data['grad_over_hand'].max():.2f}:"
        f" the engine also differentiates ½Σ(f − y)², where the hand code starts at δ^L).")
    setup = (f"MLP with tanh hidden layers and a linear output of {OUTPUTS} units, squared loss "
             f"½Σ‖f − y‖² over a batch of B = {config['batch']} standard-normal examples; "
             f"W_l ~ N(0, 1/n_(l−1)), b_l ~ N(0, 0.01), seed {config['seed']}. Width sweep: "
             f"w = {', '.join(map(str, config['widths']))} inputs and hidden units per layer at "
             f"L = {config['width_depth']} weight layers; depth sweep: L = "
             f"{', '.join(map(str, config['depths']))} at w = {config['depth_width']}. FLOPs "
             f"and primitive operations counted by admodes.cost (each op's cost model, "
             f"deterministic): f, hand-written backpropagation (written with admodes.numpy and "
             f"metered), ad.grad, and forward mode as (number of parameters) × one metered JVP "
             f"in a basis direction. Naive per-parameter differentiation: the forward pass and "
             f"local derivatives (metered) plus the path-sum multiplications and additions of "
             f"the closed-form count, checked by running it on the networks with at most "
             f"{config['enumerate_max_paths']:,} paths.")
    return {"setup": setup, "findings": findings, "figures": figures,
            "tables": [("FLOP ratios", t1["markdown"], "ratios"),
                       ("Fitted growth", t2["markdown"], "exponents")],
            "fits": fits}
