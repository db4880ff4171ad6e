"""CIC-IDS2017, improved flows (Sharafaldin et al., 2018; Engelen et al., 2021), sampled per class.

One CSV per class (at most 5,000 flows each), 91 columns with a header; the class is in ``Label``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.real.tables import numeric, read_csv, require_columns
from fortress.datasets.verify import require_file
from fortress.errors import DatasetError

DATASET = "cicids2017-sampled"
LABEL = "Label"
BENIGN = "BENIGN"

FLOW_COLUMNS: dict[str, str] = {
    "dst_port": "Dst Port",
    "flow_duration": "Flow Duration",
    "total_fwd_packet": "Total Fwd Packet",
    "total_bwd_packets": "Total Bwd packets",
    "total_length_of_fwd_packet": "Total Length of Fwd Packet",
    "total_length_of_bwd_packet": "Total Length of Bwd Packet",
    "fwd_packet_length_max": "Fwd Packet Length Max",
    "fwd_packet_length_mean": "Fwd Packet Length Mean",
    "bwd_packet_length_max": "Bwd Packet Length Max",
    "bwd_packet_length_mean": "Bwd Packet Length Mean",
    "flow_bytes_s": "Flow Bytes/s",
    "flow_packets_s": "Flow Packets/s",
    "flow_iat_mean": "Flow IAT Mean",
    "flow_iat_max": "Flow IAT Max",
    "fwd_iat_mean": "Fwd IAT Mean",
    "bwd_iat_mean": "Bwd IAT Mean",
    "fin_flag_count": "FIN Flag Count",
    "syn_flag_count": "SYN Flag Count",
    "rst_flag_count": "RST Flag Count",
    "psh_flag_count": "PSH Flag Count",
    "ack_flag_count": "ACK Flag Count",
    "down_up_ratio": "Down/Up Ratio",
    "average_packet_size": "Average Packet Size",
    "fwd_init_win_bytes": "FWD Init Win Bytes",
    "bwd_init_win_bytes": "Bwd Init Win Bytes",
    "active_mean": "Active Mean",
    "idle_mean": "Idle Mean",
}
"""Catalog field (``HOST_ACTIVITY_FIELDS``) -> CSV column."""
PROTOCOL_COLUMN = "Protocol"


def load_cicids(datasets_dir: Path, *, verify: bool = True) -> pd.DataFrame:
    """All flows of every class file: the 91 columns and ``source_file``.

    The ``FLOW_COLUMNS`` are checked to be float64 (missing values and infinities are kept as they are),
    ``Protocol`` is int64.
    """
    manifest = dataset_manifest(DATASET)
    frames: list[pd.DataFrame] = []
    for entry in manifest.entries:
        path = require_file(datasets_dir, DATASET, entry.path, verify=verify)
        frame = read_csv(path, columns=91, rows=entry.rows if verify else None)
        require_columns(frame, [*FLOW_COLUMNS.values(), PROTOCOL_COLUMN, LABEL], path)
        labels = frame[LABEL]
        if labels.isna().any() or labels.nunique() != 1:
            raise DatasetError(
                f"{path}: expected one class in column {LABEL!r}, got {sorted(labels.astype(str).unique())}"
            )
        flows = numeric(frame, [*FLOW_COLUMNS.values()], path, allow_missing=True)
        flows[PROTOCOL_COLUMN] = numeric(frame, [PROTOCOL_COLUMN], path)[PROTOCOL_COLUMN].astype("int64")
        frame[list(flows.columns)] = flows
        frames.append(frame.assign(source_file=entry.path))
    return pd.concat(frames, ignore_index=True)
