"""From data to publishable outputs: figures (PDF + PNG), tables (CSV, LaTeX, Markdown) and
the per-experiment README."""
