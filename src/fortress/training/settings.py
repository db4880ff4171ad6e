"""Settings of the training pipeline (``Settings.training``; env ``FORTRESS_TRAINING__...``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, PositiveInt

from fortress.errors import NotFound

THRESHOLDS_FILE = Path("configs") / "performance_thresholds.yaml"
"""Where the versioned quality gates sit, relative to a checkout (or the working directory)."""


def default_thresholds_locations() -> list[Path]:
    """Where an unset ``thresholds_file`` is looked for, in order: the working directory, then the
    checkout this package runs from (``src/fortress/..``). Computed when asked, never at import."""
    checkout = Path(__file__).resolve().parents[3]
    return [Path.cwd() / THRESHOLDS_FILE, checkout / THRESHOLDS_FILE]


class TrainingSettings(BaseModel):
    seed: int = 7
    """Seed for splits, the simulator and the trainers."""
    thresholds_file: Path | None = None
    """Quality gates. Unset: ``configs/performance_thresholds.yaml`` in the working directory, else in
    the repository Fortress runs from (see ``thresholds_path``)."""
    parity_tolerance: float = 1e-4
    """Largest ONNX-vs-trained probability difference an export may show."""
    threads: PositiveInt = 2
    """Training threads."""

    def thresholds_path(self, locations: Sequence[Path] | None = None) -> Path:
        """``thresholds_file``, else the first of ``locations`` (default: ``default_thresholds_locations``)
        that exists; ``NotFound`` naming the setting when none does."""
        if self.thresholds_file is not None:
            return self.thresholds_file
        searched = list(locations) if locations is not None else default_thresholds_locations()
        for path in searched:
            if path.is_file():
                return path
        raise NotFound(
            f"no quality-gate thresholds file: looked for {', '.join(str(p) for p in searched)}; "
            "set FORTRESS_TRAINING__THRESHOLDS_FILE to its path"
        )
