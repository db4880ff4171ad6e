"""Every worker's metrics in one scrape: each worker writes what its registry collects to its own file,
and ``/metrics`` merges the files of every worker, live and dead, with ``prometheus_client``'s
``MultiProcessCollector``.

Why not ``prometheus_client``'s multiprocess mode as it stands (``PROMETHEUS_MULTIPROC_DIR`` before
import): it only covers metrics built from its value class. Our hot-path metrics are lock-free
families behind a collector (``fast_metrics``: a ``Counter.inc`` in multiprocess mode takes a lock and
an mmap write, ~5 µs, on a request that updates dozens), and the drift metrics are a collector over
the monitor's state; neither would reach the files. So the hot path stays as it is, and a worker
*snapshots* its whole registry (``registry.collect()``, whatever the metric's kind) into a file in
the very format ``MultiProcessCollector`` reads (``MmapedDict``, keys from ``mmap_key``), off the
request path (``export.WorkerExport``: every ``flush_interval_s``, at shutdown, and before answering
a scrape). Values are written absolute, as the worker's registry holds them: a counter is *set* to
the worker's total, so a value is never counted twice, however often it is flushed. The reading side
is the library's own merge: counters, summaries and histogram buckets summed over files, gauges per
their mode (``GAUGE_MODES``).

Files: ``counter_<pid>.db``, ``histogram_<pid>.db``, ``summary_<pid>.db`` and
``gauge_<mode>_<pid>.db`` in the server's directory (``monitoring.worker_metrics_dir``, made fresh
by ``fortress up``/``fortress serve`` for their workers). A worker that dies keeps its counter and
histogram files: its requests still count, so a restarted worker (a new pid, starting from zero)
never makes a counter go backwards. Gauges are all ``live*`` modes: the reader drops the gauge files
of processes that no longer run (``drop_dead_gauges``), as ``mark_process_dead`` would. A new worker
whose pid was a dead worker's moves that worker's counter files aside first (``<typ>_<pid>-<n>.db``).

A gauge series a worker stops exporting (a retired version's drift bins) is removed from its file:
the file is rewritten and renamed into place (rare: only when a series disappears). Counter series
stay at their last value.
"""

from __future__ import annotations

import contextlib
import glob
import os
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, mmap_dict, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.mmap_dict import mmap_key
from prometheus_client.registry import Collector

from fortress.monitoring.fast_metrics import (
    CounterChild,
    FastCollector,
    FastCounter,
    FastFamily,
    FastHistogram,
    GaugeChild,
    _le,
)

_MmapedDict: Any = mmap_dict.MmapedDict  # untyped in prometheus_client
_merge: Callable[..., Iterable[Metric]] = multiprocess.MultiProcessCollector.merge

LIVESUM, LIVEMAX, LIVEMIN, LIVEALL = "livesum", "livemax", "livemin", "liveall"

GAUGE_MODES: dict[str, str] = {
    # gateway (monitoring/gateway_metrics.py)
    "ml_model_availability": LIVEMIN,
    # runtime (monitoring/runtime_metrics.py), in the gateway and the model server
    "fortress_batch_queue_rows": LIVESUM,
    "fortress_model_loaded": LIVEMIN,
    # audit events (gateway/events/metrics.py): each worker has its own buffer and spool slot
    "fortress_audit_spool_events": LIVESUM,
    "fortress_audit_buffer_events": LIVESUM,
    # drift (monitoring/drift/collector.py): each worker scores its own share of the traffic
    "ml_feature_drift_score": LIVEMAX,
    "ml_prediction_drift_score": LIVEMAX,
    "fortress_drift_reference_share": LIVEMAX,
    "fortress_drift_reference_available": LIVEMIN,
    "fortress_drift_threshold": LIVEMAX,
}
"""How each gauge merges over the live workers (docs/MONITORING.md, "Metrics")."""
DEFAULT_GAUGE_MODE = LIVEALL
"""A gauge not in ``GAUGE_MODES``: one series per live worker, labelled ``pid``."""

_SUMMED = {"counter": "counter", "summary": "summary", "histogram": "histogram"}
_SKIPPED_SUFFIXES = ("_created", "_gsum", "_gcount")

Ident = tuple[str, str, tuple[tuple[str, str], ...]]


class _File:
    """One of this worker's files: the values written last, to write only what changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.values: dict[str, float] = {}
        self.seen: set[str] = set()
        self.mmap = _created(path, {})

    def write(self, key: str, value: float, now: float) -> None:
        self.seen.add(key)
        if self.values.get(key) != value:
            self.values[key] = value
            self.mmap.write_value(key, value, now)

    def end_flush(self, prunes: bool) -> None:
        """``prunes``: rewrite the file without the keys not written in this flush (gauges)."""
        seen, self.seen = self.seen, set()
        if not prunes or len(seen) == len(self.values):
            return
        kept = {k: v for k, v in self.values.items() if k in seen}
        self.mmap.close()
        self.mmap, self.values = _created(self.path, kept), kept

    def close(self) -> None:
        self.mmap.close()


def _created(path: Path, values: dict[str, float]) -> Any:
    """A new file holding ``values``, made under another name and renamed into place: a reader never
    sees it half made."""
    staging = path.with_name(path.name + ".new")  # not *.db: readers skip it
    staging.unlink(missing_ok=True)
    made = _MmapedDict(str(staging))
    now = time.time()
    for key, value in values.items():
        made.write_value(key, value, now)
    os.replace(staging, path)
    return made


class WorkerFiles:
    """This process's files in ``directory``; ``flush`` writes what ``registry`` collects now."""

    def __init__(self, registry: CollectorRegistry, directory: Path, pid: int | None = None) -> None:
        self.registry = registry
        self.directory = directory
        self.pid = os.getpid() if pid is None else pid
        self._files: dict[str, _File] = {}
        self._keys: dict[Ident, str] = {}
        self._fast_keys: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}
        self._last: dict[str, tuple[Metric, _File, list[str]]] = {}
        directory.mkdir(parents=True, exist_ok=True)
        _set_aside(directory, self.pid)

    def _file(self, stem: str) -> _File:
        found = self._files.get(stem)
        if found is None:
            found = self._files[stem] = _File(self.directory / f"{stem}_{self.pid}.db")
        return found

    def _key(self, metric: Metric, sample: str, labels: dict[str, str]) -> str:
        ident = (metric.name, sample, tuple(labels.items()))
        key = self._keys.get(ident)
        if key is None:
            key = mmap_key(metric.name, sample, list(labels), list(labels.values()), metric.documentation)
            self._keys[ident] = key
        return key

    def flush(self) -> None:
        now = time.time()
        for collector in _collectors(self.registry):
            if isinstance(collector, FastCollector):  # read the children directly: no families built
                for family in collector.families:
                    self._write_fast(family, now)
            else:
                for metric in collector.collect():
                    self._write_metric(metric, now)
        for stem, file in self._files.items():
            file.end_flush(prunes=stem.startswith("gauge_"))

    def _write_metric(self, metric: Metric, now: float) -> None:
        last = self._last.get(metric.name)
        if last is not None and last[0] is metric:  # a collector's cached family (drift between ticks)
            last[1].seen.update(last[2])
            return
        summed = _SUMMED.get(metric.type)
        mode = GAUGE_MODES.get(metric.name, DEFAULT_GAUGE_MODE)
        file = self._file(f"gauge_{mode}" if summed is None else summed)
        keys: list[str] = []
        below: dict[tuple[tuple[str, str], ...], float] = {}
        for sample in metric.samples:
            name, labels, value = sample.name, sample.labels, sample.value
            if summed and (name.endswith(_SKIPPED_SUFFIXES) or "quantile" in labels):
                continue
            if summed == "histogram":
                if name.endswith("_count"):
                    continue  # the reader makes it from the buckets
                if name.endswith("_bucket"):  # cumulative -> this bucket's own count
                    rest = tuple((k, v) for k, v in labels.items() if k != "le")
                    value, below[rest] = value - below.get(rest, 0.0), value
            key = self._key(metric, name, labels)
            file.write(key, float(value), now)
            keys.append(key)
        self._last[metric.name] = (metric, file, keys)

    def _write_fast(self, family: FastFamily, now: float) -> None:
        keys = self._fast_keys.setdefault(family.name, {})
        if isinstance(family, FastHistogram):
            file = self._file("histogram")
            for values, hist in list(family.children.items()):
                found = keys.get(values)
                if found is None:
                    found = keys[values] = _histogram_keys(family, values)
                for key, count in zip(found[:-1], hist.counts, strict=True):
                    file.write(key, float(count), now)
                file.write(found[-1], hist.sum, now)
            return
        if isinstance(family, FastCounter):
            file = self._file("counter")
            base = family.name.removesuffix("_total")
            sample = base + "_total"
        else:
            file = self._file(f"gauge_{GAUGE_MODES.get(family.name, DEFAULT_GAUGE_MODE)}")
            base = sample = family.name
        names = list(family.labelnames)
        children: dict[tuple[str, ...], CounterChild | GaugeChild] = family.children  # type: ignore[assignment]
        for values, child in list(children.items()):
            found = keys.get(values)
            if found is None:
                found = keys[values] = (mmap_key(base, sample, names, list(values), family.documentation),)
            file.write(found[0], child.value, now)

    def close(self) -> None:
        for file in self._files.values():
            file.close()
        self._files.clear()


def _collectors(registry: CollectorRegistry) -> list[Collector]:
    """The registry's collectors (``prometheus_client`` keeps them in a private mapping; without it,
    the registry as one collector)."""
    mapping = getattr(registry, "_collector_to_names", None)
    return list(mapping) if isinstance(mapping, dict) else [registry]


def _histogram_keys(family: FastHistogram, values: tuple[str, ...]) -> tuple[str, ...]:
    """The keys of each bucket (+Inf last), then of the sum."""
    names, doc = [*family.labelnames, "le"], family.documentation
    buckets = [
        mmap_key(family.name, family.name + "_bucket", names, [*values, le], doc)
        for le in (*map(_le, family.bounds), "+Inf")
    ]
    return (*buckets, mmap_key(family.name, family.name + "_sum", names[:-1], list(values), doc))


def _set_aside(directory: Path, pid: int) -> None:
    """A dead worker's files under this pid: its counters renamed (they still count), gauges removed."""
    for path in directory.glob(f"*_{pid}.db"):
        if path.name.startswith("gauge_"):
            path.unlink(missing_ok=True)
        else:
            path.rename(path.with_name(f"{path.name[: -len('.db')]}-{time.time_ns()}.db"))


def alive(pid: int) -> bool:
    """Does ``pid`` run (a zombie does not)?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill
    return stat.rsplit(")", 1)[-1].split()[0] not in ("Z", "X")


def drop_dead_gauges(directory: Path) -> None:
    """Remove the gauge files of workers that no longer run (their counters stay)."""
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = os.path.basename(path)[: -len(".db")].rsplit("_", 1)[-1]
        if pid.isdigit() and not alive(int(pid)):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)


def merged(directory: Path) -> Iterable[Metric]:
    """Every worker's metrics, merged (``MultiProcessCollector``'s rules)."""
    drop_dead_gauges(directory)
    files = glob.glob(os.path.join(directory, "*.db"))
    return _merge(files, accumulate=True)


class MergedCollector(Collector):
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def collect(self) -> Iterator[Metric]:
        try:
            found = merged(self.directory)
        except FileNotFoundError:  # a file renamed between listing and reading (a worker starting)
            found = merged(self.directory)
        return iter(sorted(found, key=lambda m: m.name))


def merged_registry(directory: Path) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MergedCollector(directory))
    return registry
