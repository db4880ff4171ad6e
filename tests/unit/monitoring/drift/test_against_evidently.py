"""Our PSI, Jensen-Shannon and KS numbers against Evidently's (evidently 0.7.23, a dev-only dependency)
on the same data: with Evidently's bins (Sturges over both samples for numbers, one bin per value for
categories) our statistics must give its numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fortress.catalog.spec import FieldKind
from fortress.monitoring.drift.reference import FeatureBins
from fortress.monitoring.drift.stats import js_distance, ks_test, psi

evidently = pytest.importorskip("evidently", reason="evidently is a dev dependency (pip install -e .[dev])")
from evidently.legacy.calculations.stattests.jensenshannon import jensenshannon_stat_test  # noqa: E402
from evidently.legacy.calculations.stattests.ks_stattest import ks_stat_test  # noqa: E402
from evidently.legacy.calculations.stattests.psi import psi_stat_test  # noqa: E402
from evidently.legacy.core import ColumnType  # noqa: E402

RNG = np.random.default_rng(7)
NUMERIC_CASES = {
    "same": (RNG.normal(size=3000), RNG.normal(size=2000)),
    "shifted": (RNG.normal(size=3000), RNG.normal(0.4, 1.2, size=2000)),
    "skewed": (RNG.exponential(size=3000), RNG.exponential(2.0, size=1500)),
}
CATEGORIES = ["tcp", "udp", "icmp", "gre", "sctp"]
MIX = [0.5, 0.3, 0.1, 0.06, 0.04]
CATEGORY_CASES = {
    "same": (RNG.choice(CATEGORIES, 4000, p=MIX), RNG.choice(CATEGORIES, 3000, p=MIX)),
    "shifted": (
        RNG.choice(CATEGORIES, 4000, p=MIX),
        RNG.choice(CATEGORIES, 3000, p=[0.2, 0.2, 0.4, 0.1, 0.1]),
    ),
}


def _sturges_counts(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")[1:-1]
    bins = FeatureBins("f", FieldKind.NUMBER, "psi", np.zeros(len(edges) + 1), edges)
    size = len(edges) + 1
    return np.bincount(bins.bin_of(ref), minlength=size), np.bincount(bins.bin_of(cur), minlength=size)


def _category_counts(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bins = FeatureBins("f", FieldKind.CATEGORY, "js", np.zeros(len(CATEGORIES) + 1), None, tuple(CATEGORIES))
    size = len(CATEGORIES) + 1
    return np.bincount(bins.bin_of(ref), minlength=size), np.bincount(bins.bin_of(cur), minlength=size)


@pytest.mark.parametrize("case", sorted(NUMERIC_CASES))
def test_psi_of_numbers_matches_evidently(case: str) -> None:
    ref, cur = NUMERIC_CASES[case]
    theirs, _ = psi_stat_test.func(pd.Series(ref), pd.Series(cur), ColumnType.Numerical, 0.1)
    assert psi(*_sturges_counts(ref, cur)) == pytest.approx(theirs, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", sorted(NUMERIC_CASES))
def test_js_of_numbers_matches_evidently(case: str) -> None:
    ref, cur = NUMERIC_CASES[case]
    theirs, _ = jensenshannon_stat_test.func(pd.Series(ref), pd.Series(cur), ColumnType.Numerical, 0.1)
    assert js_distance(*_sturges_counts(ref, cur)) == pytest.approx(theirs, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", sorted(CATEGORY_CASES))
def test_psi_and_js_of_categories_match_evidently(case: str) -> None:
    ref, cur = CATEGORY_CASES[case]
    counts = _category_counts(ref, cur)
    their_psi, _ = psi_stat_test.func(pd.Series(ref), pd.Series(cur), ColumnType.Categorical, 0.1)
    their_js, _ = jensenshannon_stat_test.func(pd.Series(ref), pd.Series(cur), ColumnType.Categorical, 0.1)
    assert psi(*counts) == pytest.approx(their_psi, rel=1e-9, abs=1e-12)
    assert js_distance(*counts) == pytest.approx(their_js, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("case", sorted(NUMERIC_CASES))
def test_ks_matches_evidently(case: str) -> None:
    ref, cur = NUMERIC_CASES[case]
    p_value, _ = ks_stat_test.func(pd.Series(ref), pd.Series(cur), ColumnType.Numerical, 0.05)
    assert ks_test(ref, cur).p_value == pytest.approx(p_value, rel=1e-9, abs=1e-300)


def test_the_cases_span_no_drift_to_drift() -> None:
    """The comparison covers both sides of the thresholds, not only near-zero scores."""
    assert psi(*_sturges_counts(*NUMERIC_CASES["same"])) < 0.1
    assert psi(*_sturges_counts(*NUMERIC_CASES["shifted"])) > 0.1
    assert js_distance(*_category_counts(*CATEGORY_CASES["shifted"])) > 0.1
