"""``TaskData`` for the models that train on real public datasets.

Feature columns are exactly ``spec.field_names`` (numbers float64, categories and text str); labels
are int64 indices into the spec's labels (for writing_style: the sorted author addresses).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from fortress.catalog import get_spec
from fortress.catalog.fields import PE_HEADER_FIELDS
from fortress.datasets.real import (
    cicids,
    clamp,
    dga,
    nsl_kdd,
    phishing,
    spamassassin,
    top_sites,
    twitter_bots,
)
from fortress.datasets.real.assemble import all_files, encode, source, split_task, unique_by
from fortress.datasets.task import TaskData
from fortress.errors import NotFound

DGA_FAMILY_CAP = 4000
"""At most this many domains per DGA family (all benign domains are kept)."""
MIN_MESSAGES_PER_AUTHOR = 20

Builder = Callable[[Path, int], TaskData]


def _threat_classifier(datasets_dir: Path, seed: int) -> TaskData:
    spec = get_spec("threat_classifier")
    data = nsl_kdd.load_nsl_kdd(datasets_dir)
    fields = list(spec.field_names)
    return TaskData(
        model=spec.name,
        labels=spec.labels,
        X_train=data.train[fields].reset_index(drop=True),
        y_train=encode(data.train["category"], spec.labels),
        X_test=data.test[fields].reset_index(drop=True),
        y_test=encode(data.test["category"], spec.labels),
        source=source(nsl_kdd.DATASET, all_files(nsl_kdd.DATASET)),
        groups_train=data.train["attack"].to_numpy(dtype=str),
        groups_test=data.test["attack"].to_numpy(dtype=str),
        notes={"split": f"train {nsl_kdd.TRAIN_FILE}, test {nsl_kdd.TEST_FILE} (fixed; seed unused)"},
    )


def _bot_detector(datasets_dir: Path, seed: int) -> TaskData:
    spec = get_spec("bot_detector")
    frame = twitter_bots.load_twitter_bots(datasets_dir)
    frame, dropped = unique_by(frame, "screen_name", "label")
    notes = {"dropped": f"{dropped} rows of repeated accounts or accounts listed both as bot and human"}
    X = frame[list(spec.field_names)]
    data_source = source(twitter_bots.DATASET, all_files(twitter_bots.DATASET))
    return split_task(
        spec.name, spec.labels, X, encode(frame["label"], spec.labels), data_source, seed, notes=notes
    )


def _network_analyzer(datasets_dir: Path, seed: int) -> TaskData:
    spec = get_spec("network_analyzer")
    frame = cicids.load_cicids(datasets_dir)
    flows = frame[list(cicids.FLOW_COLUMNS.values())].replace([np.inf, -np.inf], np.nan).fillna(0.0)
    X = flows.set_axis(list(cicids.FLOW_COLUMNS), axis=1)
    X["protocol"] = frame[cicids.PROTOCOL_COLUMN].astype(str).to_numpy(dtype=object)
    names = np.where(frame[cicids.LABEL] == cicids.BENIGN, "benign", "malicious")
    data_source = source(cicids.DATASET, all_files(cicids.DATASET))
    notes = {
        "cleaning": "infinite and missing flow statistics (e.g. Flow Bytes/s of 0-duration flows) set to 0"
    }
    return split_task(
        spec.name,
        spec.labels,
        X[list(spec.field_names)],
        encode(names, spec.labels),
        data_source,
        seed,
        strata=frame[cicids.LABEL].to_numpy(),
        notes=notes,
    )


def _phishing_url(datasets_dir: Path, seed: int) -> TaskData:
    spec = get_spec("phishing_url")
    frame = phishing.load_phishing_urls(datasets_dir)
    deduped, dropped = unique_by(frame, "url", "label")
    notes = {"dropped": f"{dropped} repeated URLs or URLs listed both as phishing and benign"}
    data_source = source(phishing.DATASET, all_files(phishing.DATASET))
    y = encode(deduped["label"], spec.labels)
    return split_task(spec.name, spec.labels, deduped[["url"]], y, data_source, seed, notes=notes)


def _dga_detector(datasets_dir: Path, seed: int) -> TaskData:
    spec = get_spec("dga_detector")
    sites = top_sites.load_top_sites(datasets_dir).assign(family=dga.BENIGN)
    frame = pd.concat([dga.load_dga(datasets_dir), sites[["domain", "family"]]], ignore_index=True)
    frame, dropped = unique_by(frame, "domain", "family")
    rng = np.random.default_rng(seed)
    parts: list[pd.DataFrame] = []
    for family, group in frame.groupby("family", sort=True):
        if family != dga.BENIGN and len(group) > DGA_FAMILY_CAP:
            group = group.iloc[np.sort(rng.choice(len(group), DGA_FAMILY_CAP, replace=False))]
        parts.append(group)
    sample = pd.concat(parts, ignore_index=True)
    families = sample["family"].to_numpy(dtype=object)
    names = np.where(families == dga.BENIGN, "benign", "dga")
    files = [*all_files(dga.DATASET), *all_files(top_sites.DATASET)]
    notes = {
        "sampling": f"at most {DGA_FAMILY_CAP} domains per DGA family (seed {seed}); all benign domains",
        "dropped": f"{dropped} repeated domains or domains listed in two families (benign included)",
    }
    return split_task(
        spec.name,
        spec.labels,
        sample[["domain"]],
        encode(names, spec.labels),
        source(dga.DATASET, files, detail="benign includes top-sites/top-sites.json"),
        seed,
        strata=families,
        groups=families,
        notes=notes,
    )


def _malware_classifier(datasets_dir: Path, seed: int) -> TaskData:
    spec = get_spec("malware_classifier")
    frame = clamp.load_clamp(datasets_dir)
    names = np.where(frame[clamp.CLASS] == 1, "malware", "benign")
    X = frame[list(PE_HEADER_FIELDS)]
    data_source = source(clamp.DATASET, all_files(clamp.DATASET))
    return split_task(
        spec.name, spec.labels, X[list(spec.field_names)], encode(names, spec.labels), data_source, seed
    )


def _message_scam(datasets_dir: Path, seed: int) -> TaskData:
    spec = get_spec("message_scam")
    loaded = spamassassin.load_spamassassin(datasets_dir)
    frame = loaded[loaded["text"] != ""]
    kept, _ = unique_by(frame, "text", "label")
    names = np.where(kept["label"] == "spam", "scam", "ham")
    notes = {
        "text": "decoded text bodies only; headers stripped",
        "dropped": f"{len(loaded) - len(kept)} messages empty, duplicated or conflicting",
    }
    data_source = source(spamassassin.DATASET, all_files(spamassassin.DATASET))
    y = encode(names, spec.labels)
    return split_task(spec.name, spec.labels, kept[["text"]], y, data_source, seed, notes=notes)


def _writing_style(datasets_dir: Path, seed: int) -> TaskData:
    spec = get_spec("writing_style")
    frame = spamassassin.load_spamassassin(datasets_dir, folders=spamassassin.HAM_FOLDERS)
    frame = frame.assign(text=[spamassassin.strip_quoted(t) for t in frame["text"]])
    frame = frame[(frame["text"] != "") & (frame["sender"] != "")]
    counts = frame["sender"].value_counts()
    authors = tuple(sorted(counts[counts >= MIN_MESSAGES_PER_AUTHOR].index))
    frame = frame[frame["sender"].isin(authors)].reset_index(drop=True)
    files = [(spamassassin.DATASET, folder) for folder in spamassassin.HAM_FOLDERS]
    notes = {
        "labels": f"ham senders with >= {MIN_MESSAGES_PER_AUTHOR} non-empty messages",
        "text": "bodies without headers and without quoted reply lines ('>')",
    }
    y = encode(frame["sender"], authors)
    return split_task(
        spec.name, authors, frame[["text"]], y, source(spamassassin.DATASET, files), seed, notes=notes
    )


_BUILDERS: dict[str, tuple[tuple[str, ...], Builder]] = {
    "threat_classifier": ((nsl_kdd.DATASET,), _threat_classifier),
    "bot_detector": ((twitter_bots.DATASET,), _bot_detector),
    "network_analyzer": ((cicids.DATASET,), _network_analyzer),
    "phishing_url": ((phishing.DATASET,), _phishing_url),
    "dga_detector": ((dga.DATASET, top_sites.DATASET), _dga_detector),
    "malware_classifier": ((clamp.DATASET,), _malware_classifier),
    "message_scam": ((spamassassin.DATASET,), _message_scam),
    "writing_style": ((spamassassin.DATASET,), _writing_style),
}
"""model -> (dataset folders read, the first one naming the data source; builder)."""


def real_dataset_for(model_name: str) -> str | None:
    """The dataset folder a model's real data comes from, or None when only the simulator covers it."""
    entry = _BUILDERS.get(model_name)
    return entry[0][0] if entry else None


def datasets_needed(model_name: str) -> tuple[str, ...]:
    """Every dataset folder the model's builder reads (empty when it has no real data)."""
    entry = _BUILDERS.get(model_name)
    return entry[0] if entry else ()


def build_real_task(model_name: str, datasets_dir: Path, seed: int) -> TaskData:
    """Load, verify and split the real data of one model. Raises ``DatasetError`` on a bad file."""
    spec = get_spec(model_name)
    if spec.name not in _BUILDERS:
        raise NotFound(f"model {model_name!r} has no real dataset; use the simulator")
    return _BUILDERS[spec.name][1](datasets_dir, seed)
