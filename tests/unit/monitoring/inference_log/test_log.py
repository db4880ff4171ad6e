"""The inference log's request-path side and its Parquet writer: sampling, sensitive fields, real
files read back, retention, the size bound, and rows dropped (queue full, write error) without the
caller ever seeing an error."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import itertools
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from prometheus_client import CollectorRegistry

from fortress.catalog import get_spec
from fortress.catalog.spec import FieldKind, FieldSpec, ModelSpec
from fortress.monitoring.inference_log.log import InferenceLog
from fortress.monitoring.inference_log.metrics import InferenceLogMetrics
from fortress.monitoring.inference_log.reader import read_window
from fortress.monitoring.inference_log.record import Redaction
from fortress.monitoring.inference_log.settings import InferenceLogSettings
from fortress.monitoring.inference_log.writer import ParquetSink
from support.candidates import SPEC

pytestmark = pytest.mark.anyio
NOW = dt.datetime(2026, 12, 4, 12, 0, tzinfo=dt.UTC).timestamp()
DAY = 86400.0
MESSAGE = get_spec("message_scam")
PROBS = np.array([[0.9, 0.1]], dtype=np.float32)


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def _settings(**values: Any) -> InferenceLogSettings:
    return InferenceLogSettings.model_validate({"flush_interval_s": 0.05, **values})


def _dropped(registry: CollectorRegistry, reason: str) -> float:
    labels = {"sink": "parquet", "reason": reason}
    return registry.get_sample_value("fortress_inference_log_rows_dropped_total", labels) or 0.0


def _written(registry: CollectorRegistry) -> float:
    return registry.get_sample_value("fortress_inference_log_rows_written_total", {"sink": "parquet"}) or 0.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _sink(root: Path, registry: CollectorRegistry, clock: Clock | None = None, **values: Any) -> ParquetSink:
    return ParquetSink(root, _settings(**values), InferenceLogMetrics(registry), clock or Clock(NOW))


def _log(
    log: InferenceLog,
    i: int,
    *,
    spec: ModelSpec = SPEC,
    record: dict[str, Any] | None = None,
    probs: np.ndarray = PROBS,
    now: float = NOW,
    version: int = 1,
    sampled: bool = True,
) -> None:
    record = record if record is not None else {"x": float(i), "y": -1.0, "proto": "udp", "extra": 1}
    log.log(
        f"inv-{i}",
        spec.name,
        version,
        "champion",
        spec,
        [record],
        probs,
        sampled=sampled,
        degraded=False,
        now=now,
    )


def test_sample_rate_is_the_share_of_investigations_drawn() -> None:
    draws = itertools.cycle([i / 100 for i in range(100)])  # 0.00, 0.01, ..., 0.99
    log = InferenceLog(_settings(), _sink(Path("unused"), CollectorRegistry()), draw=lambda: next(draws))
    assert sum(log.sample() for _ in range(1000)) == 50  # the default 0.05: 1 in 20
    never = InferenceLog(_settings(sample_rate=0), _sink(Path("unused"), CollectorRegistry()))
    assert not any(never.sample() for _ in range(1000))


def test_rows_carry_the_call_and_low_confidence_is_flagged(tmp_path: Path) -> None:
    sink = _sink(tmp_path, CollectorRegistry())
    log = InferenceLog(_settings(low_confidence=0.6), sink)
    two = np.array([[0.55, 0.45], [0.2, 0.8]], dtype=np.float32)
    log.log(
        "inv-7",
        SPEC.name,
        3,
        "champion",
        SPEC,
        [{"x": 1.0, "y": 2.0, "proto": "tcp"}] * 2,
        two,
        sampled=False,
        degraded=True,
        fallback_for="tiny_primary",
        now=NOW,
    )
    rows = list(sink._queue)
    assert [(r.index, r.low_confidence, r.label) for r in rows] == [
        (0, True, "benign"),
        (1, False, "malicious"),
    ]
    first = rows[0].to_dict()
    assert first["investigation_id"] == "inv-7"
    assert first["version"] == 3
    assert first["route"] == "champion"
    assert first["fallback_for"] == "tiny_primary"
    assert first["degraded"]
    assert not first["sampled"]
    assert first["input"] == {"x": 1.0, "y": 2.0, "proto": "tcp"}
    assert first["probabilities"] == pytest.approx([0.55, 0.45])


def test_sensitive_fields_are_hashed_with_the_salt_or_dropped() -> None:
    assert [f.name for f in MESSAGE.fields if f.sensitive] == ["text"]  # the catalog marks message text
    record = {"text": "Send me your password"}
    hashed = Redaction("hash", "pepper").apply(MESSAGE, record)
    expected = hashlib.sha256(b"pepper" + b"Send me your password").hexdigest()
    assert hashed == {"text": f"sha256:{expected}"}
    assert Redaction("hash", "other").apply(MESSAGE, record) != hashed  # the salt matters
    assert Redaction("drop").apply(MESSAGE, record) == {}
    # a version registered before the flag existed: the catalog's spec of the model still marks it
    old = dataclasses.replace(MESSAGE, fields=(FieldSpec("text", FieldKind.TEXT),))
    assert Redaction("drop").apply(old, record) == {}
    assert Redaction("hash").apply(SPEC, {"x": 1.0, "y": 2.0, "proto": "udp"}) == {
        "x": 1.0,
        "y": 2.0,
        "proto": "udp",
    }


async def test_writer_writes_parquet_partitioned_by_date_and_model(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    clock = Clock(NOW)
    sink = _sink(tmp_path, registry, clock)
    log = InferenceLog(_settings(salt="s"), sink)
    await log.start()
    for i in range(5):
        _log(log, i)
    _log(log, 5, spec=MESSAGE, record={"text": "Hello   World"}, now=NOW)
    _log(log, 6, now=NOW + DAY)  # the next day: its own partition
    await log.aclose()
    files = sorted(p.relative_to(tmp_path).parent.as_posix() for p in tmp_path.rglob("*.parquet"))
    assert files == [
        "date=2026-12-04/model=message_scam",
        "date=2026-12-04/model=tiny_detector",
        "date=2026-12-05/model=tiny_detector",
    ]
    assert _written(registry) == 7
    table = pq.read_table(next((tmp_path / "date=2026-12-04" / "model=tiny_detector").glob("*.parquet")))
    assert table.column("input").type.names == ["x", "y", "proto"]  # only the spec's fields
    frame = read_window(tmp_path, SPEC.name, NOW - 60, NOW + 2 * DAY)
    assert list(frame["investigation_id"]) == [f"inv-{i}" for i in (0, 1, 2, 3, 4, 6)]
    assert list(frame["input.x"]) == [0.0, 1.0, 2.0, 3.0, 4.0, 6.0]
    assert set(frame["input.proto"]) == {"udp"}
    assert list(frame["label"])[:1] == ["benign"]
    assert frame["confidence"].iloc[0] == pytest.approx(0.9)
    assert frame["time"].iloc[0] == dt.datetime.fromtimestamp(NOW, dt.UTC)
    assert len(read_window(tmp_path, SPEC.name, NOW - 60, NOW + 60)) == 5  # the window filters by time
    text = read_window(tmp_path, MESSAGE.name, NOW - 60, NOW + 60)["input.text"].iloc[0]
    assert text == "sha256:" + hashlib.sha256(b"sHello   World").hexdigest()


async def test_retention_deletes_old_date_partitions(tmp_path: Path) -> None:
    old = tmp_path / "date=2026-10-01" / "model=tiny_detector"
    kept = tmp_path / "date=2026-11-10" / "model=tiny_detector"
    for folder in (old, kept):
        folder.mkdir(parents=True)
        (folder / "part-1.parquet").write_bytes(b"x" * 100)
    (tmp_path / "notes").mkdir()  # not a partition: left alone
    clock = Clock(NOW)
    registry = CollectorRegistry()
    sink = _sink(tmp_path, registry, clock, retention_days=30)
    await sink.start()
    await sink.aclose()
    assert not old.parent.exists()
    assert kept.exists()
    assert (tmp_path / "notes").exists()
    assert registry.get_sample_value("fortress_inference_log_bytes") == 100
    clock.now += 10 * DAY  # 2026-11-10 is now 34 days old
    sink.sweep()
    assert not kept.parent.exists()


async def test_over_max_bytes_new_rows_are_dropped(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    sink = _sink(tmp_path, registry, max_bytes=1)
    log = InferenceLog(_settings(), sink)
    await log.start()
    _log(log, 0)
    await asyncio.sleep(0.3)  # the first file is written (the log was empty) ...
    _log(log, 1)
    _log(log, 2)
    await log.aclose()
    assert _written(registry) == 1
    assert _dropped(registry, "over_size") == 2  # ... and then the log is over its bound
    assert len(list(tmp_path.rglob("*.parquet"))) == 1


def test_a_full_queue_drops_and_never_blocks(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    sink = _sink(tmp_path, registry, queue_max_rows=3)
    log = InferenceLog(_settings(), sink)  # not started: nothing takes from the queue
    started = time.perf_counter()
    for i in range(1000):
        _log(log, i)
    assert time.perf_counter() - started < 1.0
    assert len(sink._queue) == 3
    assert _dropped(registry, "queue_full") == 997
    assert registry.get_sample_value("fortress_inference_log_queue_rows", {"sink": "parquet"}) == 3


async def test_a_write_error_drops_the_batch_and_the_next_one_is_written(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    root = tmp_path / "log"
    sink = _sink(root, registry)
    await sink.start()
    log = InferenceLog(_settings(), sink)
    (root / "date=2026-12-04").write_text("a file where a partition folder should be")
    _log(log, 0)
    _log(log, 1, now=NOW + DAY)  # another partition, written fine
    await asyncio.sleep(0.3)
    assert _dropped(registry, "write_error") == 1
    assert "cannot write 1 rows" in sink.error
    (root / "date=2026-12-04").unlink()
    _log(log, 2)
    await log.aclose()
    assert _written(registry) == 2
    frame = read_window(root, SPEC.name, NOW - 60, NOW + 2 * DAY)
    assert sorted(frame["investigation_id"]) == ["inv-1", "inv-2"]


async def test_rows_are_encoded_soon_and_written_by_interval_or_size(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    held = _sink(tmp_path / "held", registry, flush_rows=1, flush_interval_s=3600)
    log = InferenceLog(_settings(), held)
    await held.start()
    _log(log, 0)
    await asyncio.sleep(0.3)
    assert not held._queue  # encoded: the request's record is no longer held ...
    assert not list((tmp_path / "held").rglob("*.parquet"))  # ... but not written before the interval
    assert registry.get_sample_value("fortress_inference_log_queue_rows", {"sink": "parquet"}) == 1
    await held.aclose()  # closing writes it
    assert len(list((tmp_path / "held").rglob("*.parquet"))) == 1
    eager = _sink(tmp_path / "eager", CollectorRegistry(), flush_rows=1, flush_interval_s=3600, flush_bytes=1)
    log = InferenceLog(_settings(), eager)
    await eager.start()
    _log(log, 0)
    await asyncio.sleep(0.3)
    assert len(list((tmp_path / "eager").rglob("*.parquet"))) == 1  # flush_bytes reached: written at once
    await eager.aclose()


def test_tensors_read_back_as_arrays_and_sensitive_fields_are_not_scored(tmp_path: Path) -> None:
    from fortress.monitoring.inference_log.analyze import prepare

    image = get_spec("image_analyzer")
    sink = _sink(tmp_path, CollectorRegistry())
    log = InferenceLog(_settings(), sink)
    pixels = np.random.default_rng(0).random(image.fields[0].shape).round(3)
    _log(log, 0, spec=image, record={"pixels": pixels.tolist()}, probs=np.array([[0.7, 0.1, 0.1, 0.1]]))
    _log(log, 1, spec=MESSAGE, record={"text": "a secret"})
    assert sink.flush() == 2
    frame = read_window(tmp_path, image.name, NOW - 60, NOW + 60)
    stored = frame["input.pixels"].iloc[0]
    assert stored.shape == (3, 32, 32)
    np.testing.assert_allclose(stored, pixels, rtol=1e-6)
    assert prepare(frame, image).skipped == frozenset()
    messages = prepare(read_window(tmp_path, MESSAGE.name, NOW - 60, NOW + 60), MESSAGE)
    assert messages.skipped == frozenset({"text"})
    assert list(messages.frame["text"]) == [""]  # a placeholder, its feature left out of the table
    assert messages.probabilities is not None
    assert messages.probabilities.shape == (1, 2)


def test_tensors_are_stored_from_the_calls_feeds_as_float32_bytes_and_old_nested_files_still_read(
    tmp_path: Path,
) -> None:
    import base64

    import pyarrow as pa

    from fortress.catalog.encode import encode_records

    image = get_spec("image_analyzer")
    rng = np.random.default_rng(1)
    first, second = (rng.random(image.fields[0].shape).astype(np.float32) for _ in range(2))
    records = [{"pixels": first.tolist()}, {"pixels": {"b64": base64.b64encode(second.tobytes()).decode()}}]
    feeds = encode_records(image, records)  # what the model ran on: the log stores these, not the lists
    sink = _sink(tmp_path / "new", CollectorRegistry())
    log = InferenceLog(_settings(), sink)
    probs = np.array([[0.7, 0.1, 0.1, 0.1]] * 2, dtype=np.float32)
    log.log("inv-1", image.name, 1, "champion", image, records, probs, sampled=True, degraded=False, now=NOW,
            feeds=feeds)  # fmt: skip
    assert sink.flush() == 2  # a b64 record too (nested lists were the only tensor form once)
    (path,) = (tmp_path / "new").rglob("*.parquet")
    field = pq.read_schema(path).field("input").type.field("pixels")
    assert field.type == pa.binary(4 * 3 * 32 * 32)
    assert field.metadata == {b"fortress.shape": b"3,32,32", b"fortress.dtype": b"<f4"}
    frame = read_window(tmp_path / "new", image.name, NOW - 60, NOW + 60)
    np.testing.assert_array_equal(frame["input.pixels"].iloc[0], first)
    np.testing.assert_array_equal(frame["input.pixels"].iloc[1], second)

    # a file of the earlier layout (tensors as nested lists of float64) reads back the same
    old = tmp_path / "old" / "date=2026-12-04" / f"model={image.name}"
    old.mkdir(parents=True)
    nested = pa.list_(pa.list_(pa.list_(pa.float64())))
    table = pa.table(
        {
            "time": pa.array([int(NOW * 1000)], type=pa.timestamp("ms", tz="UTC")),
            "sampled": [True],
            "input": pa.StructArray.from_arrays([pa.array([first.tolist()], type=nested)], names=["pixels"]),
        }
    )
    pq.write_table(table, old / "part-1.parquet")
    before = read_window(tmp_path / "old", image.name, NOW - 60, NOW + 60)
    np.testing.assert_array_equal(before["input.pixels"].iloc[0], first)
