"""One DataFrame, three formats: CSV (data), LaTeX with booktabs (papers), Markdown (READMEs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["write_table"]


def write_table(df: pd.DataFrame, directory, name, *, caption: str, float_format="{:.3g}",
                index=False) -> dict:
    """Write ``name.csv``, ``name.tex`` and ``name.md``; return their paths and the Markdown."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    csv_path, tex_path, md_path = (directory / f"{name}.{ext}" for ext in ("csv", "tex", "md"))
    df.to_csv(csv_path, index=index)
    formatted = df.copy()
    for col in formatted.columns:
        if pd.api.types.is_float_dtype(formatted[col]):
            formatted[col] = formatted[col].map(
                lambda v: "" if pd.isna(v) else float_format.format(v))
    latex = formatted.style.hide(axis="index") if not index else formatted.style
    tex = latex.to_latex(hrules=True, caption=caption, label=f"tab:{name}",
                         position="t", position_float="centering")
    tex_path.write_text(tex)
    markdown = formatted.to_markdown(index=index)
    md_path.write_text(f"{caption}\n\n{markdown}\n")
    return {"csv": str(csv_path), "tex": str(tex_path), "md": str(md_path),
            "markdown": markdown}
