"""Measured sweeps: the rank tables and their runner, plots, real data sets, ReLU redraw tables,
cross-entropy sweeps, training, float64 audits, parallel maps."""
