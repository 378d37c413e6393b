"""One matplotlib style for every figure: sized for a two-column paper, saved as PDF and PNG."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import LogLocator, NullFormatter

__all__ = ["COLUMN_WIDTH", "METHOD_STYLE", "PAGE_WIDTH", "figure", "log_axes", "save"]

COLUMN_WIDTH = 3.4   # inches: one column of a two-column paper
PAGE_WIDTH = 7.0     # inches: both columns

_RC = {
    "font.size": 8, "axes.titlesize": 8, "axes.labelsize": 8, "legend.fontsize": 7,
    "xtick.labelsize": 7, "ytick.labelsize": 7, "lines.linewidth": 1.2, "lines.markersize": 3.5,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5, "savefig.bbox": "tight",
    "savefig.pad_inches": 0.02, "pdf.fonttype": 42, "ps.fonttype": 42,
}

# Same method, same look, in every experiment.
METHOD_STYLE = {
    "jacfwd_1": {"color": "tab:blue", "marker": "o", "linestyle": "-",
                 "label": "forward, 1 direction/pass"},
    "jacfwd_vec": {"color": "tab:blue", "marker": "s", "linestyle": "--",
                   "label": "forward, vector mode"},
    "jacrev_1": {"color": "tab:red", "marker": "o", "linestyle": "-",
                 "label": "reverse, 1 row/sweep"},
    "jacrev_vec": {"color": "tab:red", "marker": "s", "linestyle": "--",
                   "label": "reverse, vector mode"},
    "fd": {"color": "tab:gray", "marker": "^", "linestyle": ":",
           "label": "central differences"},
    "grad": {"color": "tab:red", "marker": "D", "linestyle": "-",
             "label": "reverse mode (grad)"},
    "jvp": {"color": "tab:blue", "marker": "D", "linestyle": "-",
            "label": "forward mode, 1 JVP"},
    "f": {"color": "black", "marker": "x", "linestyle": ":",
          "label": "plain evaluation of f"},
}


def figure(width: float = COLUMN_WIDTH, height: float | None = None, **subplots):
    """A new figure in the house style; ``subplots`` go to ``plt.subplots``."""
    plt.rcParams.update(_RC)
    return plt.subplots(figsize=(width, height or width * 0.75), **subplots)


def save(fig, directory, name) -> list[str]:
    """Write ``name.pdf`` (vector, for papers) and ``name.png`` (300 dpi) into ``directory``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext, kwargs in (("pdf", {}), ("png", {"dpi": 300})):
        path = directory / f"{name}.{ext}"
        fig.savefig(path, metadata={"CreationDate": None} if ext == "pdf" else None, **kwargs)
        paths.append(str(path))
    plt.close(fig)
    return paths


def log_axes(ax):
    """Log-log axes with decade labels only (minor ticks unlabeled, so small ranges stay legible)."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        axis.set_minor_formatter(NullFormatter())
