"""Plan versus actual ([OUT-17]): read the actuals, take the plan's per-path values, compute the metrics.

`actuals` parses and validates the actuals CSV, `plan_values` reads the bands and the PIT from a
published run's run.duckdb (no re-simulation), `metrics` holds the exact error measures, and
`artefacts` writes the CSVs and publishes the backtest folder atomically.
"""
