"""Vanishing and exploding gradients: per-layer gradient norms through a deep network.

What: a stack of L square layers of width w, plain or residual, with a linear read-out and the
mean squared loss over a batch of B examples (columns),

    plain      h_l = φ(a_l),             a_l = W_l h_{l−1}
    residual   h_l = h_{l−1} + φ(a_l),   the identity path of He et al. (2016)
    loss       ½ ‖V h_L − Y‖²_F / B,     V ∈ R^{n_out×w} fixed, V_ij ~ N(0, 1/w),

for φ = sigmoid, tanh, ReLU and four initialisations of W_l ∈ R^{w×w} (entries i.i.d.
N(0, σ²)): "unit" σ = 1 and "small" σ = 0.01 (naive fixed scales), Xavier/Glorot σ² = 2/(fan_in
+ fan_out) = 1/w (Glorot & Bengio 2010) and He σ² = 2/fan_in = 2/w (He et al. 2015). Measured
per layer: ‖∂loss/∂W_l‖_F and the norm of the backpropagated error ‖δ^l‖_F, δ^l = ∂loss/∂a_l ∈
R^{w×B}, both by reverse mode (δ^l as the gradient with respect to a zero perturbation added to
a_l); forward mode checks one directional derivative per network.

Theory. The error obeys δ^l = φ'(a_l) ⊙ (J_{l+1}^T δ^{l+1}) with J_{l+1} = W_{l+1} in a plain
network, so its norm is multiplied at every layer by roughly σ √w · rms(φ'(a)): below 1 it
decays geometrically toward the input (vanishing gradients, Hochreiter 1991; Bengio, Simard &
Frasconi 1994), above 1 it grows geometrically (exploding). sigmoid' ≤ 1/4 makes the factor ≤ ¼
at Xavier scale: sigmoid stacks vanish whatever the usual initialisation. Xavier keeps the
factor near 1 for tanh around 0; He's factor √2 cancels ReLU's halving of the second moment
(He et al. 2015). A residual layer's Jacobian is I + diag(φ'(a_l)) W_l, so the gradient with
respect to its input, ∂loss/∂h_{l−1} = ∂loss/∂h_l + W_l^T δ^l, carries the one from above
unchanged plus the branch's term (He et al. 2016): it cannot vanish; in the linear regime
‖∂loss/∂h_{l−1}‖² ≈ (1 + σ² w c_φ²) ‖∂loss/∂h_l‖², so it grows when the branches are not
scaled down.

Fit: for each (activation, initialisation, plain/residual) the log-linear least-squares fit
log ‖∂loss/∂W_l‖ = c + l log r over the layers, per seed; r is the growth factor per layer
toward the output, so 1/r per layer toward the input (r > 1: vanishing toward the input,
r < 1: exploding toward the input). Reported as the mean and spread over the seeds.

References: Glorot & Bengio 2010 (PMLR 9:249-256); He et al. 2015, doi:10.1109/ICCV.2015.123;
He et al. 2016, doi:10.1109/CVPR.2016.90; Hochreiter 1991 (Diplomarbeit, TU München);
Bengio, Simard & Frasconi 1994, doi:10.1109/72.279181.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

import admodes as ad
import admodes.nn as ann
import admodes.numpy as anp
from experiments.reporting.figures import PAGE_WIDTH, figure, save
from experiments.reporting.tables import write_table

TITLE = "Vanishing and exploding gradients: per-layer gradient norms, plain vs residual"
QUESTION = ("How do per-layer gradient norms change with depth for sigmoid, tanh and ReLU under "
            "naive, Xavier and He initialisation, and does a residual (identity) path keep them "
            "from vanishing?")
REFERENCES = (
    ("Glorot, X. & Bengio, Y. (2010). Understanding the difficulty of training deep feedforward "
     "neural networks. AISTATS, PMLR 9, 249-256."),
    ("He, K., Zhang, X., Ren, S. & Sun, J. (2015). Delving deep into rectifiers: surpassing "
     "human-level performance on ImageNet classification. ICCV. doi:10.1109/ICCV.2015.123"),
    ("He, K., Zhang, X., Ren, S. & Sun, J. (2016). Deep residual learning for image "
     "recognition. CVPR. doi:10.1109/CVPR.2016.90"),
    ("Hochreiter, S. (1991). Untersuchungen zu dynamischen neuronalen Netzen. Diploma thesis, "
     "Technische Universität München."),
    ("Bengio, Y., Simard, P. & Frasconi, P. (1994). Learning long-term dependencies with "
     "gradient descent is difficult. IEEE Transactions on Neural Networks 5(2), 157-166. "
     "doi:10.1109/72.279181"),
)
KEY_FIELDS = ("activation", "init", "residual", "seed")
ACTIVATIONS = {"sigmoid": ann.sigmoid, "tanh": anp.tanh, "relu": ann.relu}
INITS = ("small", "unit", "xavier", "he")
OUTPUTS = 10  # rows of the read-out V
PHI_PRIME_RMS = {"sigmoid": 0.25, "tanh": 1.0, "relu": float(np.sqrt(0.5))}  # rms φ'(a), a ≈ 0

QUICK = {"depth": 50, "width": 32, "batch": 16, "seeds": 3}
FULL = {"depth": 60, "width": 128, "batch": 64, "seeds": 8}


def init_std(init: str, width: int) -> float:
    """σ of the N(0, σ²) entries of a w×w weight matrix under ``init``."""
    stds = {"small": 0.01, "unit": 1.0, "xavier": np.sqrt(2.0 / (width + width)),
            "he": np.sqrt(2.0 / width)}
    if init not in stds:
        raise ValueError(f"init must be one of {list(stds)}; got {init!r}")
    return float(stds[init])


def make_network(depth, width, batch, init, seed) -> dict:
    """Seeded weights W_1..W_L (std by ``init``), read-out V, inputs X and targets Y."""
    for label, value in (("depth", depth), ("width", width), ("batch", batch)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"make_network: {label} must be a positive integer; got {value!r}")
    std = init_std(init, width)
    rng = np.random.default_rng([seed, depth, width, batch])
    shape = (depth, width, width)  # one draw per seed: the inits differ only by the scale σ
    return {"weights": list(std * rng.standard_normal(shape)),
            "readout": rng.standard_normal((OUTPUTS, width)) / np.sqrt(width),
            "x": rng.standard_normal((width, batch)), "y": rng.standard_normal((OUTPUTS, batch))}


def loss(weights, probes, net, activation, residual):
    """½‖V h_L − Y‖²_F / B; ``probes`` (zeros) are added to each a_l so ∂loss/∂probe_l = δ^l."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}; got {activation!r}")
    phi = ACTIVATIONS[activation]
    h = net["x"]
    for w, probe in zip(weights, probes, strict=True):
        branch = phi(w @ h + probe)
        h = h + branch if residual else branch
    error = net["readout"] @ h - net["y"]
    return 0.5 * anp.sum(error * error) / net["x"].shape[1]


def layer_norms(net, activation, residual) -> tuple[np.ndarray, np.ndarray]:
    """(‖∂loss/∂W_l‖_F, ‖δ^l‖_F) for l = 1..L, by reverse mode."""
    probes = [np.zeros_like(net["x"]) for _ in net["weights"]]
    grad_w, delta = ad.grad(loss, argnums=(0, 1))(net["weights"], probes, net, activation,
                                                  residual)
    return (np.array([np.linalg.norm(g) for g in grad_w]),
            np.array([np.linalg.norm(d) for d in delta]))


def forward_check(net, activation, residual, seed) -> float:
    """|JVP − ⟨∇loss, V⟩| / (‖∇loss‖ ‖V‖) for a random direction V of the weights."""
    rng = np.random.default_rng(seed)
    probes = [np.zeros_like(net["x"]) for _ in net["weights"]]
    direction = [rng.standard_normal(w.shape) for w in net["weights"]]

    def f(weights):
        return loss(weights, probes, net, activation, residual)

    grads = ad.grad(f)(net["weights"])
    _, tangent = ad.jvp(f, (net["weights"],), (direction,))
    dot = sum(float(np.sum(g * v)) for g, v in zip(grads, direction, strict=True))
    scale = np.sqrt(sum(float(np.sum(g * g)) for g in grads) *
                    sum(float(np.sum(v * v)) for v in direction))
    return abs(float(tangent) - dot) / scale


def growth_rate(norms) -> dict:
    """Fit log ‖g_l‖ = c + l log r (least squares over l = 1..L): r and the R² of the fit."""
    norms = np.asarray(norms, dtype=float)
    if norms.ndim != 1 or len(norms) < 2 or not (np.isfinite(norms) & (norms > 0)).all():
        raise ValueError(f"growth_rate needs at least two positive finite norms; got {norms!r:.80}")
    layers = np.arange(1, len(norms) + 1)
    slope, intercept = np.polyfit(layers, np.log(norms), 1)
    fitted = intercept + slope * layers
    spread = np.sum((np.log(norms) - np.log(norms).mean()) ** 2)
    r2 = 1.0 - np.sum((np.log(norms) - fitted) ** 2) / spread if spread > 0 else 1.0
    return {"rate": float(np.exp(slope)), "r2": float(r2)}


# -- the sweep --------------------------------------------------------------------------------

def points(config):
    for activation in ACTIVATIONS:
        for init in INITS:
            for residual in (False, True):
                for seed in range(config["seeds"]):
                    yield {"activation": activation, "init": init, "residual": residual,
                           "seed": config["seed"] + seed}


def measure(point, config):
    net = make_network(config["depth"], config["width"], config["batch"], point["init"],
                       point["seed"])
    grad_w, delta = layer_norms(net, point["activation"], point["residual"])
    row = {"depth": config["depth"], "width": config["width"],
           "forward_error": forward_check(net, point["activation"], point["residual"],
                                          point["seed"])}
    row.update({f"grad_w_{layer}": value for layer, value in enumerate(grad_w, start=1)})
    row.update({f"delta_{layer}": value for layer, value in enumerate(delta, start=1)})
    return row


# -- the report -------------------------------------------------------------------------------

INIT_STYLE = {"small": {"color": "tab:gray", "label": "small, σ = 0.01"},
              "unit": {"color": "tab:purple", "label": "unit, σ = 1"},
              "xavier": {"color": "tab:blue", "label": "Xavier, σ² = 2/(fan_in + fan_out)"},
              "he": {"color": "tab:red", "label": "He, σ² = 2/fan_in"}}


def per_layer(data: pd.DataFrame, prefix: str) -> np.ndarray:
    """The per-layer columns ``prefix_1 … prefix_L`` of ``data`` as an (rows, L) array."""
    depth = int(data["depth"].iloc[0])
    return data[[f"{prefix}_{layer}" for layer in range(1, depth + 1)]].to_numpy(float)


def linear_theory(activation, init, residual, width) -> float:
    """Growth factor per layer of ‖δ^l‖ when every a_l stays where φ'(a) ≈ its value at 0.

    Plain: ‖δ^{l−1}‖ ≈ σ √w c_φ ‖δ^l‖, so r = 1/(σ √w c_φ); residual: ‖δ^{l−1}‖² ≈ (1 + σ² w
    c_φ²) ‖δ^l‖², so r = (1 + σ² w c_φ²)^{−1/2}; c_φ = rms φ'(a) over a ~ N(0, s²) at small s:
    1/4 (sigmoid), 1 (tanh), √(1/2) (ReLU) (Glorot & Bengio 2010; He et al. 2015).
    """
    gain = init_std(init, width) * np.sqrt(width) * PHI_PRIME_RMS[activation]
    return float(1.0 / np.sqrt(1.0 + gain ** 2) if residual else 1.0 / gain)


def rates(data: pd.DataFrame) -> pd.DataFrame:
    """Per (activation, init, residual): growth factor per layer toward the output of ‖δ^l‖
    and ‖∇W_l‖ (mean and standard deviation of the per-seed fits), the R² of the fit of the
    seed-averaged log norms, the first layer's norm over the last one's and the typical size
    of ‖∇W_l‖ (geometric means over layers and seeds), with the linear-regime theory."""
    rows = []
    for (activation, init, residual), group in data.groupby(
            ["activation", "init", "residual"], sort=False):
        row = {"activation": activation, "init": init, "residual": bool(residual),
               "seeds": len(group),
               "linear_theory": linear_theory(activation, init, residual,
                                              int(group["width"].iloc[0]))}
        for prefix, name in (("delta", "delta"), ("grad_w", "grad")):
            norms = per_layer(group, prefix)
            fits = [growth_rate(n)["rate"] for n in norms]
            row[f"{name}_rate"] = float(np.mean(fits))
            row[f"{name}_rate_sd"] = float(np.std(fits, ddof=1)) if len(fits) > 1 else 0.0
            row[f"{name}_r2"] = growth_rate(np.exp(np.log(norms).mean(axis=0)))["r2"]
            row[f"{name}_first_over_last"] = float(np.exp(np.mean(np.log(norms[:, 0] /
                                                                         norms[:, -1]))))
        row["grad_size"] = float(np.exp(np.log(per_layer(group, "grad_w")).mean()))
        rows.append(row)
    return pd.DataFrame(rows)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value, _):
    """Tick label 10ⁿ in plain text (mathtext parsing dominates the figures' cost)."""
    return "10" + str(round(np.log10(value))).translate(_SUPERSCRIPT)


def _legend_line(color, linestyle, label):
    return Line2D([], [], color=color, linestyle=linestyle, label=label)


def _norm_figure(data, prefix, ylabel, directory, name):
    fig, axes = figure(PAGE_WIDTH, 2.7, ncols=len(ACTIVATIONS), layout="constrained")
    depth = int(data["depth"].iloc[0])
    layers = np.arange(1, depth + 1)
    for ax, activation in zip(axes, ACTIVATIONS, strict=True):
        for init, style in INIT_STYLE.items():
            for residual, linestyle in ((False, "-"), (True, "--")):
                group = data[(data["activation"] == activation) & (data["init"] == init) &
                             (data["residual"] == residual)]
                if group.empty:
                    continue
                mean = np.exp(np.log(per_layer(group, prefix)).mean(axis=0))
                ax.plot(layers, mean, color=style["color"], linestyle=linestyle)
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, numticks=6))  # ranges span 100 decades
        ax.yaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
        ax.set_xlabel("layer l (1 = input side)")
        ax.set_title(activation)
    axes[0].set_ylabel(ylabel)
    handles = [_legend_line(style["color"], "-", style["label"]) for style in INIT_STYLE.values()]
    handles += [_legend_line("black", "-", "plain"), _legend_line("black", "--", "residual x + F(x)")]
    fig.legend(handles=handles, loc="outside lower center", ncols=3, frameon=False)
    save(fig, directory / "figures", name)
    return name


def report(data, directory, config):
    data = data.copy()
    data["residual"] = data["residual"].astype(str).str.lower() == "true"
    table = rates(data)
    depth, width = int(data["depth"].iloc[0]), int(data["width"].iloc[0])
    figures = [
        ((f"The backpropagated error ‖δ^l‖_F = ‖∂loss/∂a_l‖_F versus layer l of a {depth}-layer "
          f"network of width {width} (geometric mean over {config['seeds']} seeds, log y), one "
          f"panel per activation: colours per initialisation, solid plain, dashed residual"),
         _norm_figure(data, "delta", r"$\|\delta^l\|_F$", directory, "delta_norm_vs_layer")),
        (("The weight gradients ‖∂loss/∂W_l‖_F = ‖δ^l h_(l−1)^T‖_F versus layer, same "
          "networks"),
         _norm_figure(data, "grad_w", r"$\|\partial\,\mathrm{loss}/\partial W_l\|_F$",
                      directory, "grad_norm_vs_layer")),
    ]
    shown = table[["activation", "init", "residual", "delta_rate", "delta_rate_sd",
                   "linear_theory", "delta_r2", "delta_first_over_last", "grad_rate",
                   "grad_rate_sd", "grad_first_over_last", "grad_size"]]
    t1 = write_table(shown, directory / "tables", "rates",
                     caption=("Growth factor r per layer toward the output of ‖δ^l‖ and of "
                              "‖∂loss/∂W_l‖ (log-linear fit per seed: mean and s.d.; r > 1 "
                              "vanishes toward the input, r < 1 explodes), the linear-regime "
                              "theory for δ, the R² of the fit of the seed-averaged curve, the "
                              "first layer's norm over the last one's, and the geometric mean "
                              "of ‖∂loss/∂W_l‖ over layers and seeds."))
    rate = table.set_index(["activation", "init", "residual"])

    def delta(activation, init, residual=False):
        row = rate.loc[(activation, init, residual)]
        return (f"r = {row['delta_rate']:.3g} ± {row['delta_rate_sd']:.2g} (theory "
                f"{row['linear_theory']:.3g}), ‖δ^1‖/‖δ^L‖ = {row['delta_first_over_last']:.2g}")

    plain, res = table[~table["residual"]], table[table["residual"]]
    relu = rate.loc["relu"]
    findings = [
        (f"Plain sigmoid networks lose the error geometrically under every initialisation "
         f"(sigmoid' ≤ 1/4): Xavier {delta('sigmoid', 'xavier')}; He {delta('sigmoid', 'he')}; "
         f"σ = 0.01 {delta('sigmoid', 'small')}; fits with R² ≥ "
         f"{plain[plain.activation == 'sigmoid']['delta_r2'].min():.3f}. The weight gradients "
         f"follow: ‖∇W_1‖/‖∇W_L‖ = "
         f"{rate.loc[('sigmoid', 'xavier', False), 'grad_first_over_last']:.2g} (Xavier)."),
        (f"ReLU error flow, plain: He {delta('relu', 'he')} — nearly constant; Xavier "
         f"{delta('relu', 'xavier')} (√2 per layer: half of the units are off); σ = 1 "
         f"{delta('relu', 'unit')} (explodes); σ = 0.01 {delta('relu', 'small')}."),
        (f"tanh, plain: Xavier {delta('tanh', 'xavier')}; σ = 0.01 {delta('tanh', 'small')}; "
         f"σ = 1 {delta('tanh', 'unit')} (most units saturate, φ'(a) ≈ 0, so the error grows "
         f"far slower than the linear theory says)."),
        (f"Residual connections: the error reaches every layer through the identity, so ‖δ^l‖ "
         f"never shrinks toward the input — ‖δ^1‖/‖δ^L‖ ≥ "
         f"{res['delta_first_over_last'].min():.2g} in all 12 residual networks, against as "
         f"little as {plain['delta_first_over_last'].min():.2g} plain; sigmoid, Xavier: "
         f"{delta('sigmoid', 'xavier', True)}. Without scaled branches it can grow instead "
         f"(ReLU, He: {delta('relu', 'he', True)})."),
        (f"Weight gradients ‖∇W_l‖ = ‖δ^l h_(l−1)^T‖ are balanced across layers in plain ReLU "
         f"networks whatever σ (per-layer factor {relu['grad_rate'].xs(False, level='residual').min():.3g}"
         f"-{relu['grad_rate'].xs(False, level='residual').max():.3g}): without biases the "
         f"network is positively homogeneous, so h_(l−1) grows by the factor δ^l loses; the "
         f"scale σ moves all layers together (typical ‖∇W_l‖: "
         + ", ".join(f"σ = {init_std(i, width):.3g}: "
                     f"{rate.loc[('relu', i, False), 'grad_size']:.2g}" for i in INITS)
         + ")."),
        (f"Forward mode agrees with reverse mode on every network: largest |JVP − ⟨∇, v⟩| / "
         f"(‖∇‖‖v‖) = {data['forward_error'].max():.1e}."),
    ]
    setup = (f"{depth} layers of width {width}, batch B = {int(config['batch'])} standard-normal "
             f"inputs, read-out V ∈ R^({OUTPUTS}×{width}) with N(0, 1/{width}) entries, targets "
             f"N(0, 1), loss ½‖V h_L − Y‖²/B; no biases (zero-initialised biases do not change "
             f"the forward pass; their gradient is Σ_batch δ^l). Activations sigmoid, tanh, "
             f"ReLU (relu'(0) = 0); weights N(0, σ²) with σ = 0.01, 1, √(1/w) (Xavier) and "
             f"√(2/w) (He), the same standard-normal draw scaled by σ; plain h_l = φ(W_l h_(l−1))"
             f" and residual h_l = h_(l−1) + φ(W_l h_(l−1)). Gradients by admodes reverse mode "
             f"(δ^l as the gradient with respect to a zero probe added to a_l), checked against "
             f"one forward-mode JVP per network. Seeds {config['seed']}..."
             f"{config['seed'] + config['seeds'] - 1}; rates are fitted per seed and averaged.")
    return {"setup": setup, "findings": findings, "figures": figures,
            "tables": [("Growth factors per layer", t1["markdown"], "rates")], "rates": table}
