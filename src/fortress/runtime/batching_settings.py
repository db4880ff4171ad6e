"""Dynamic batching settings."""

from __future__ import annotations

from pydantic import BaseModel, NonNegativeInt, PositiveInt


class BatchingSettings(BaseModel):
    max_batch_size: PositiveInt = 64
    max_delay_us: NonNegativeInt = 1000
    """How long a busy model's next batch may wait to fill up."""
    max_queue_rows: PositiveInt = 4096
    """Rows allowed to wait per model version; beyond it requests are rejected (429/503)."""
    max_inflight_batches: PositiveInt = 2
    """Batches of one model version computing at once (ONNX Runtime sessions are thread-safe)."""
    inline_below_us: NonNegativeInt = 300
    """An idle model whose one-row call (measured at warm-up) is cheaper than this runs the request on
    the event loop: no queue, no thread hop. 0 turns it off."""
