"""The experiments' machinery: timing, records, environment, sweeps and fits."""
