"""One DataFrame, three formats: CSV (data), LaTeX with booktabs (papers), Markdown (READMEs)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

__all__ = ["write_table"]


_LATEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                   "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                   "^": r"\textasciicircum{}"}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIALS.get(c, c) for c in text)


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
    styler = formatted.style.format(escape="latex").format_index(escape="latex", axis=1)
    if not index:
        styler = styler.hide(axis="index")
    numeric = "".join("r" if pd.api.types.is_numeric_dtype(df[c]) else "l" for c in df.columns)
    tex = styler.to_latex(hrules=True, caption=_latex_escape(caption), label=f"tab:{name}",
                          position="t", position_float="centering", column_format=numeric)
    tex_path.write_text(tex)
    markdown = formatted.to_markdown(index=index)
    md_path.write_text(f"{caption}\n\n{markdown}\n")
    return {"csv": str(csv_path), "tex": str(tex_path), "md": str(md_path),
            "markdown": markdown}
