"""Point-in-time training sets from the offline store, for the models that read store features.

Label rows (entity, time, label) are joined to the model's view with Feast's
``get_historical_features``: each row gets the latest feature row at or before its own time and
within the view's TTL, never a later one. Rows Feast drops (it drops entity rows whose only feature
rows are in the future or expired) come back as nulls, so the quality gate counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from fortress.catalog import FieldKind, get_spec
from fortress.datasets.task import DataSource, SourceKind, TaskData
from fortress.errors import InvalidInput
from fortress.features.errors import DataQualityFailed, NoFeatureData
from fortress.features.offline import label_rows, read_labels
from fortress.features.pipeline import LABEL
from fortress.features.quality import QualityReport, check_quality
from fortress.features.repo import FeatureRepo, feast_quiet
from fortress.features.settings import FeatureSettings
from fortress.features.views import MODEL_VIEWS, TIMESTAMP, ViewSpec

if TYPE_CHECKING:
    import feast

TEST_FRACTION = 0.25
"""Share of label rows, the latest in time, held out for evaluation."""


@dataclass(frozen=True, slots=True)
class TrainingFrame:
    model: str
    X: pd.DataFrame
    """Exactly the model's catalog fields, in spec order (numbers float64, categories str)."""
    y: np.ndarray
    """int64 label indices into the spec's labels."""
    timestamps: pd.Series
    entity_ids: pd.Series
    quality: QualityReport
    dropped: int
    """Rows left out for null features (within the gate's null-ratio limit)."""


def reads_store(model: str) -> bool:
    """Whether ``model`` trains from (and is served) feature-store features."""
    return model in MODEL_VIEWS


def has_training_data(model: str, features: FeatureSettings, home: Path) -> bool:
    """Whether label rows for ``model`` were ingested (cheap: reads parquet footers, not Feast)."""
    return reads_store(model) and label_rows(FeatureRepo.at(features, home), model) > 0


def store_view(model: str) -> ViewSpec:
    view = MODEL_VIEWS.get(model)
    if view is None:
        raise InvalidInput(
            f"model {model!r} does not read the feature store; models that do: {', '.join(MODEL_VIEWS)}"
        )
    return view


def training_frame(
    model: str,
    features: FeatureSettings,
    home: Path,
    *,
    labels: pd.DataFrame | None = None,
    store: feast.FeatureStore | None = None,
) -> TrainingFrame:
    """Point-in-time training rows of ``model``: catalog fields and labels, quality-gated.

    ``labels`` (``user_id``, ``event_timestamp``, ``label``) default to the label rows ingested with
    the events. Raises ``NoFeatureData`` without labels and ``DataQualityFailed`` from the gates.
    """
    view = store_view(model)
    repo = FeatureRepo.at(features, home)
    labels = read_labels(repo, model) if labels is None else labels
    if labels.empty:
        raise NoFeatureData(
            f"no label rows for {model} under {repo.labels_dir(model)}: run `fortress features ingest` first"
        )
    key, fields = view.entity.join_key, list(view.field_names)
    entity_df = labels[[key, TIMESTAMP]].drop_duplicates().reset_index(drop=True)
    entity_df[TIMESTAMP] = pd.to_datetime(entity_df[TIMESTAMP], utc=True)
    fs = store or repo.open()
    with feast_quiet():
        job = fs.get_historical_features(entity_df=entity_df, features=[f"{view.name}:{f}" for f in fields])
        joined = job.to_df()
    joined[TIMESTAMP] = pd.to_datetime(joined[TIMESTAMP], utc=True)
    rows = labels.assign(**{TIMESTAMP: pd.to_datetime(labels[TIMESTAMP], utc=True)}).merge(
        joined[[key, TIMESTAMP, *fields]], on=[key, TIMESTAMP], how="left", validate="many_to_one"
    )
    report = check_quality(view.name, rows, fields, features.limits_for(view.name))
    complete = rows.dropna(subset=fields).sort_values(TIMESTAMP, kind="stable").reset_index(drop=True)
    spec = get_spec(model)
    X = pd.DataFrame(
        {
            f.name: complete[f.name].astype(str)
            if f.kind is FieldKind.CATEGORY
            else complete[f.name].astype(np.float64)
            for f in spec.fields
        }
    )
    return TrainingFrame(
        model=model,
        X=X,
        y=complete[LABEL].to_numpy(dtype=np.int64),
        timestamps=complete[TIMESTAMP],
        entity_ids=complete[key].astype(str),
        quality=report,
        dropped=len(rows) - len(complete),
    )


def training_task(
    model: str,
    features: FeatureSettings,
    home: Path,
    *,
    test_fraction: float = TEST_FRACTION,
    store: feast.FeatureStore | None = None,
) -> TaskData:
    """``training_frame`` split by time (the latest ``test_fraction`` is the test set), as a TaskData."""
    frame = training_frame(model, features, home, store=store)
    cut = round(len(frame.y) * (1.0 - test_fraction))
    y_train, y_test = frame.y[:cut], frame.y[cut:]
    for part, y in (("train", y_train), ("test", y_test)):
        if np.unique(y).size < 2:
            view = store_view(model).name
            raise DataQualityFailed(
                view,
                "labels",
                float(np.unique(y).size),
                2.0,
                f"the {part} split has only one class ({len(y)} rows)",
            )
    spec = get_spec(model)
    return TaskData(
        model=model,
        labels=spec.labels,
        X_train=frame.X.iloc[:cut].reset_index(drop=True),
        y_train=y_train,
        X_test=frame.X.iloc[cut:].reset_index(drop=True),
        y_test=y_test,
        source=DataSource(
            kind=SourceKind.SIMULATED,
            name=f"feature-store:{store_view(model).name}",
            detail=f"point-in-time join, test = latest {test_fraction:.0%} by time",
        ),
        notes={
            "features.rows": f"{cut}/{len(frame.y) - cut}",
            "features.null_ratio": f"{frame.quality.null_ratio:.4f}",
            "features.dropped_rows": str(frame.dropped),
            "features.split_time": str(frame.timestamps.iloc[cut]) if cut < len(frame.y) else "",
        },
    )
