"""Tuning that belongs to a server process (``fortress up``, ``fortress serve`` and their workers),
never to a test process that builds many apps."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Everything loaded so far (libraries, models, settings) lives as long as the process: keep it out
    of the cyclic collector's generations, so that full collections, which otherwise walk every one of
    those objects, stay short on the request path."""
    gc.collect()
    gc.freeze()
