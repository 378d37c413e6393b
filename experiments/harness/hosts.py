"""Rows from several hosts: time is compared within one host, counters are pooled.

Each row of ``data.csv`` names the machine that measured it (the ``host`` column,
``environment.host_columns``). Wall time depends on that machine; FLOPs, primitive ops, bytes,
errors and iteration counts do not. So a report fits and draws time **per host** and counters
over **all rows**. With one host (or a ``data.csv`` written before rows had a ``host`` column)
there is a single group labelled ``None`` and a report reads exactly as it would without
this module.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

__all__ = ["HOST_MARKERS", "by_host", "figure_legend", "findings_per_host", "host_column",
           "host_handles", "host_names", "host_style", "on_host", "per_host", "pooled_and_per_host"]

# The i-th host's points are drawn with the i-th marker (colours and line styles stay the
# method's), so a reader tells hosts apart without losing which method is which.
HOST_MARKERS = ("o", "^", "s", "v", "D", "P", "X", "*")


def _frame(data) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame of data.csv rows, got "
                        f"{type(data).__name__}")
    return data


def host_names(data: pd.DataFrame) -> list[str]:
    """The distinct hosts of ``data``'s rows, sorted; ``[]`` without a ``host`` column."""
    data = _frame(data)
    if "host" not in data.columns:
        return []
    return sorted(str(h) for h in data["host"].dropna().unique())


def by_host(data: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """``(host, rows)`` for each host, by name; ``[(None, data)]`` for fewer than two hosts.

    With several hosts, rows without a host name belong to no group (their times have no clock
    to be compared with).
    """
    names = host_names(data)
    if len(names) < 2:
        return [(None, data)]
    hosts = data["host"].astype(str)
    return [(name, data[hosts == name]) for name in names]


def host_column(data: pd.DataFrame) -> list[str]:
    """``["host"]`` when ``data``'s rows come from several hosts, else ``[]``: the columns to add
    to a per-point table so that its times can be read host by host."""
    return ["host"] if len(host_names(data)) > 1 else []


def per_host(data: pd.DataFrame, fit: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame:
    """``fit(rows)`` for each host's rows, concatenated; with several hosts a first column
    ``host`` says whose rows each result row came from. Empty results are left out."""
    parts = []
    for host, rows in by_host(data):
        result = fit(rows)
        if result.empty:
            continue
        if host is not None:
            result = result.copy()
            result.insert(0, "host", host)
        parts.append(result)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def pooled_and_per_host(data: pd.DataFrame, fit: Callable, counted, timed, on) -> pd.DataFrame:
    """One table of fits: the ``counted`` columns fitted on all rows, the ``timed`` ones per host.

    ``fit(rows, columns)`` returns one row per key (the columns ``on``) with the fits of
    ``columns``. The per-host time fits are joined to the pooled counter fits by key, so with
    several hosts a key has one row per host (``host`` follows the key columns, the counter fits
    repeat) and a key no host can fit alone keeps one row with empty time fits; with one host
    the table is ``fit(data, counted + timed)``'s.
    """
    on = list(on)
    pooled = fit(data, tuple(counted))
    timed_fits = per_host(data, lambda rows: fit(rows, tuple(timed)))
    if pooled.empty:
        return pooled
    if timed_fits.empty:  # no host has enough points: the time columns stay, empty
        timed_fits = fit(data, tuple(timed)).iloc[:0]
    timed_fits = timed_fits[[c for c in timed_fits.columns if c in on or c == "host"
                             or c not in pooled.columns]]
    joined = pooled.merge(timed_fits, on=on, how="left")
    if "host" in joined.columns:
        joined.insert(len(on), "host", joined.pop("host"))
    return joined


def on_host(host, text: str) -> str:
    """``text`` as a finding about one host's rows: ``On host `name`: text``; ``text`` itself
    for ``host`` None (or NaN: a pooled row that no host's time fit joined)."""
    return text if host is None or pd.isna(host) else f"On host `{host}`: {text}"


def findings_per_host(data: pd.DataFrame, describe: Callable) -> list[str]:
    """The findings ``describe(rows)`` gives for each host's rows (``on_host``).

    ``describe`` returns one finding, a list of them or ``None``; with one host the result is
    ``describe(data)``'s findings unchanged.
    """
    findings = []
    for host, rows in by_host(data):
        text = describe(rows)
        for finding in [text] if isinstance(text, str) else text or []:
            findings.append(on_host(host, finding))
    return findings


def host_style(style: dict, host: str | None, index: int) -> dict:
    """A plot style for one host's series: ``style`` unchanged for ``host`` None, else the
    ``index``-th marker of ``HOST_MARKERS`` and ``[host]`` after the label."""
    if host is None:
        return dict(style)
    if not isinstance(index, int) or index < 0:
        raise ValueError(f"host_style: index must be a non-negative int, got {index!r}")
    style = dict(style, marker=HOST_MARKERS[index % len(HOST_MARKERS)])
    if "label" in style:
        style["label"] = f"{style['label']} [{host}]"
    return style


def host_handles(data: pd.DataFrame) -> list:
    """Legend entries (grey markers of ``host_style``) naming each host; ``[]`` for one host."""
    from matplotlib.lines import Line2D  # drawing only: workers measuring points never need it

    return [Line2D([], [], color="0.3", linestyle="none", label=host,
                   marker=HOST_MARKERS[index % len(HOST_MARKERS)])
            for index, (host, _) in enumerate(by_host(data)) if host is not None]


def figure_legend(fig, ax, data: pd.DataFrame, **kwargs):
    """``fig.legend`` of ``ax``'s labelled artists followed by the host entries of ``data``."""
    handles, labels = ax.get_legend_handles_labels()
    hosts = host_handles(data)
    return fig.legend(handles + hosts, labels + [h.get_label() for h in hosts], **kwargs)
