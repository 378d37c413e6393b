"""The cost of a derivative relative to the function, counted three ways in one row."""

from __future__ import annotations

import pandas as pd

__all__ = ["cost_columns", "with_cost_ratios"]


def cost_columns(cost, f_cost, timing: dict, f_timing: dict) -> dict:
    """Row columns from two meters (derivative, f) and two ``time_call`` results."""
    return {"flops": cost.total_flops, "ops": cost.ops, "flops_f": f_cost.total_flops,
            "ops_f": f_cost.ops, "time": timing["time_median"], "time_iqr": timing["time_iqr"],
            "time_f": f_timing["time_median"], "time_f_iqr": f_timing["time_iqr"],
            "repeats": timing["time_samples"], "loops": timing["time_loops"],
            "loops_f": f_timing["time_loops"], "timer": timing["timer"]}


def with_cost_ratios(data: pd.DataFrame) -> pd.DataFrame:
    """Add cost(derivative)/cost(f) in FLOPs, primitive ops and wall time."""
    data = data.copy()
    data["flops_ratio"] = data["flops"] / data["flops_f"]
    data["ops_ratio"] = data["ops"] / data["ops_f"]
    data["time_ratio"] = data["time"] / data["time_f"]
    return data
