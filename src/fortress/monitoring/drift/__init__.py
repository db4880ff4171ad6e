"""Feature and prediction drift: frozen reference bins (written at training time), cheap bin counters
on the serving path, PSI / Jensen-Shannon scores over a sliding window, Prometheus export, and the
offline comparison behind ``fortress drift compare`` (docs/MONITORING.md, "Drift").

Only numpy (scipy lazily, off the request path), prometheus_client and the catalog: training writes
references with it and the gateway counts into it, so it sits on the ground layer beside the metric
definitions (tests/support/layering.py).
"""
