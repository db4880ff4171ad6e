"""BinCounter: served calls counted into the reference bins, the same as binning the data at once."""

from __future__ import annotations

import numpy as np

from fortress.catalog.encode import encode_frame, encode_records
from fortress.monitoring.drift.counter import BinCounter
from fortress.monitoring.drift.reference import build_reference
from support.candidates import SPEC, tiny_frame

from .test_reference import IMAGE, MIXED


def _expected(reference_bins, values) -> np.ndarray:  # type: ignore[no-untyped-def]
    return np.bincount(reference_bins.bin_of(values), minlength=len(reference_bins.share))


def test_counts_one_record_calls_like_the_whole_frame_at_once() -> None:
    frame, _ = tiny_frame(n=1000)
    inputs = encode_frame(SPEC, frame)
    proba = np.random.default_rng(0).dirichlet([1, 1], size=1000).astype(np.float32)
    reference = build_reference(SPEC, inputs, proba)
    counter = BinCounter(SPEC, reference, flush_rows=7)
    served, _ = tiny_frame(n=300, seed=5)
    records = served.to_dict("records")
    for i, record in enumerate(records):
        counter.add(encode_records(SPEC, [record]), proba[i : i + 1])
    snapshot = counter.snapshot()
    assert counter.rows == 300
    x, _, proto = counter.features
    np.testing.assert_array_equal(
        snapshot[x.start : x.stop], _expected(x.bins, served["x"].to_numpy(np.float32))
    )
    np.testing.assert_array_equal(
        snapshot[proto.start : proto.stop], _expected(proto.bins, served["proto"].to_numpy())
    )
    label, confidence = counter.predictions
    np.testing.assert_array_equal(
        snapshot[label.start : label.stop], np.append(np.bincount(proba[:300].argmax(1), minlength=2), 0)
    )
    assert snapshot[confidence.start : confidence.stop].sum() == 300
    snapshot[0] += 1000  # a copy: the counter is unchanged
    assert counter.snapshot()[0] != snapshot[0]


def test_multi_record_calls_unseen_categories_and_out_of_range_numbers() -> None:
    frame, _ = tiny_frame(n=500)
    counter = BinCounter(SPEC, build_reference(SPEC, encode_frame(SPEC, frame)))
    records = [{"x": 1e9, "y": -1e9, "proto": "icmp"}] * 5
    counter.add(encode_records(SPEC, records), None)
    snapshot = counter.snapshot()
    x, y, proto = counter.features
    assert snapshot[x.stop - 1] == 5
    assert snapshot[y.start] == 5  # beyond the edges: the outer bins
    assert snapshot[proto.stop - 1] == 5  # unseen: "other"


def test_text_and_tensor_inputs() -> None:
    import pandas as pd

    rng = np.random.default_rng(4)
    frame = pd.DataFrame(
        {
            "n": rng.normal(size=200),
            "c": rng.choice(["a", "b"], size=200),
            "t": ["ab c"] * 100 + ["x" * 40] * 100,
        }
    )
    counter = BinCounter(MIXED, build_reference(MIXED, encode_frame(MIXED, frame)))
    counter.add(encode_records(MIXED, [{"n": 0.0, "c": "a", "t": "  AB   C "}]), None)  # normalised: "ab c"
    text = counter.features[2]
    assert counter.snapshot()[text.start] == 1  # length 4: the short bin
    images = rng.random((50, 3, 4, 4)).astype(np.float32)
    image_counter = BinCounter(IMAGE, build_reference(IMAGE, {"image": images}))
    image_counter.add({"image": images[:10]}, None)
    counts = image_counter.snapshot()
    assert [int(counts[s.start : s.stop].sum()) for s in image_counter.features] == [10, 10, 10]


def test_a_reference_read_back_from_canonical_json_counts_the_same() -> None:
    """The registry stores baselines with sorted keys: bins are found by name, never by position."""
    import json

    from fortress.monitoring.drift.reference import reference_from_baseline

    frame, _ = tiny_frame(n=800)
    proba = np.random.default_rng(1).dirichlet([1, 1], size=800).astype(np.float32)
    reference = build_reference(SPEC, encode_frame(SPEC, frame), proba)
    stored = json.loads(json.dumps({"drift": reference.to_dict()}, sort_keys=True))
    back = reference_from_baseline(stored)
    assert back is not None
    feeds = encode_frame(SPEC, frame)
    counts = []
    for ref in (reference, back):
        counter = BinCounter(SPEC, ref)
        counter.add(feeds, proba)
        by_name = {
            s.bins.name: counter.snapshot()[s.start : s.stop].tolist()
            for s in (*counter.features, *counter.predictions)
        }
        counts.append(by_name)
    assert counts[0] == counts[1]
    assert sum(counts[0]["confidence"]) == 800
    assert counts[0]["label"][2] == 0
