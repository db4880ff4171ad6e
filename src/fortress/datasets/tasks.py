"""Which data a model trains on: the real dataset when it is present, else the simulator."""

from __future__ import annotations

from pathlib import Path

from fortress.datasets.task import TaskData
from fortress.errors import DatasetError


def build_task(model: str, datasets_dir: Path | None, seed: int) -> TaskData:
    """Real data when ``datasets_dir`` holds the model's dataset; the simulator otherwise.

    A configured directory that does not exist is an error (a typo must not silently train on
    simulated data); a dataset folder missing inside it falls back to the simulator, and the
    returned ``TaskData.source`` says so.
    """
    from fortress.datasets.real.tasks import build_real_task, datasets_needed
    from fortress.datasets.simulator import simulate_task

    if datasets_dir is not None:
        if not datasets_dir.is_dir():
            raise DatasetError(f"datasets directory not found: {datasets_dir}")
        needed = datasets_needed(model)
        if needed and all((datasets_dir / name).is_dir() for name in needed):
            return build_real_task(model, datasets_dir, seed)
    return simulate_task(model, seed)
