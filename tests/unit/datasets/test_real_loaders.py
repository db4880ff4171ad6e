"""Every real-dataset loader against the shared reference copies (../shared/datasets)."""

from __future__ import annotations

import email
import shutil
from pathlib import Path

import pytest

from fortress.catalog.fields import ACCOUNT_PROFILE_FIELDS, NSL_KDD_FIELDS, PE_HEADER_FIELDS
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
from fortress.errors import DatasetError


def copy_file(shared: Path, dataset: str, path: str, root: Path) -> Path:
    dest = root / dataset / path
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shared / dataset / path, dest)
    return dest


def test_nsl_kdd(shared_datasets: Path) -> None:
    data = nsl_kdd.load_nsl_kdd(shared_datasets)
    assert len(data.train) == 25_192
    assert len(data.test) == 22_544
    assert list(data.train.columns) == [*NSL_KDD_FIELDS, "attack", "difficulty", "category"]
    assert (data.train["category"] == "normal").sum() == 13_449
    assert (data.test["category"] == "normal").sum() == 9_711
    assert data.test["category"].value_counts().to_dict() == {
        "normal": 9_711, "dos": 7_458, "r2l": 2_754, "probe": 2_421, "u2r": 200,
    }  # fmt: skip
    assert data.test.loc[data.test["attack"] == "mscan", "category"].eq("probe").all()
    assert data.train["protocol_type"].map(type).eq(str).all()
    assert data.train["src_bytes"].dtype == "float64"


def test_cicids(shared_datasets: Path) -> None:
    frame = cicids.load_cicids(shared_datasets)
    assert frame.shape == (43_419, 92)
    counts = frame[cicids.LABEL].value_counts()
    assert counts["BENIGN"] == 5_000
    assert counts["Heartbleed"] == 11
    assert counts["Web Attack - SQL Injection"] == 13
    assert len(counts) == 16
    assert frame[list(cicids.FLOW_COLUMNS.values())].dtypes.eq("float64").all()


def test_dga(shared_datasets: Path) -> None:
    frame = dga.load_dga(shared_datasets)
    counts = frame["family"].value_counts()
    assert len(frame) == 826_002
    assert counts["benign"] == 20_000
    assert counts["conficker"] == 100_000
    assert counts["others"] == 2_669
    assert not frame["domain"].str.contains(r"\s|[A-Z]").any()  # trailing spaces of others_dga.txt gone


def test_top_sites(shared_datasets: Path) -> None:
    frame = top_sites.load_top_sites(shared_datasets)
    assert len(frame) == 500
    assert frame["domain"].iloc[0] == "google.com"  # 'www.google.com' in the file
    assert not frame["domain"].str.startswith("www.").any()


def test_phishing_urls(shared_datasets: Path) -> None:
    frame = phishing.load_phishing_urls(shared_datasets)
    assert frame["label"].value_counts().to_dict() == {"benign": 35_378, "phishing": 14_858}
    assert frame["url"].str.startswith("http").mean() > 0.5


def test_clamp(shared_datasets: Path) -> None:
    frame = clamp.load_clamp(shared_datasets)
    assert list(frame.columns) == [*PE_HEADER_FIELDS, "class"]
    assert frame["class"].value_counts().to_dict() == {1: 2_683, 0: 2_501}


def test_twitter_bots(shared_datasets: Path) -> None:
    frame = twitter_bots.load_twitter_bots(shared_datasets)
    assert len(frame) == 3_431
    assert frame["label"].value_counts().to_dict() == {"human": 1_939, "bot": 1_492}
    assert set(frame["follower_band"]) == {"1k", "100k", "1M", "10M"}
    assert frame[list(ACCOUNT_PROFILE_FIELDS)].dtypes.eq("float64").all()
    assert not frame["screen_name"].str.startswith(" ").any()


def test_spamassassin(shared_datasets: Path) -> None:
    frame = spamassassin.load_spamassassin(shared_datasets)
    assert frame["label"].value_counts().to_dict() == {"ham": 4_150, "spam": 1_896}
    ham = frame[frame["label"] == "ham"]
    assert ham["sender"].nunique() == 886
    assert (ham["sender"].value_counts() >= 20).sum() == 39
    # only the few messages that forward another one verbatim hold header lines in their body
    assert frame["text"].str.contains("(?m)^Received: from", regex=True).sum() < 10
    for row in frame.iloc[::25].itertuples():
        with open(shared_datasets / "spamassassin" / str(row.folder) / str(row.file), "rb") as f:
            own_id = email.message_from_binary_file(f).get("Message-Id")
        assert own_id is None or str(own_id) not in str(row.text), row.file
    assert not frame["text"].str.contains("<html", case=False, regex=False).any()


def test_spamassassin_body_without_headers(tmp_path: Path) -> None:
    raw = (
        b"From: Alice Example <Alice@Example.org>\r\nSubject: hi\r\nContent-Type: multipart/alternative; "
        b'boundary="b"\r\n\r\n--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n'
        b"<p>Hello &amp; <b>bye</b></p>\r\n--b--\r\n"
    )
    (tmp_path / "m.txt").write_bytes(raw)
    message = spamassassin.parse_message(tmp_path / "m.txt", "x")
    assert message.sender == "alice@example.org"
    assert message.text.split() == ["Hello", "&", "bye"]
    assert spamassassin.strip_quoted("> quoted\nmine\n >> more") == "mine"


def test_corrupt_file_error_names_the_file(tmp_path: Path, shared_datasets: Path) -> None:
    path = copy_file(shared_datasets, "clamp", "ClaMP_Raw-5184.csv", tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"ClaMP_Raw-5184\.csv: sha256 mismatch") as info:
        clamp.load_clamp(tmp_path)
    assert "\n" not in str(info.value)


def test_unparsable_row_names_file_and_line(tmp_path: Path, shared_datasets: Path) -> None:
    path = copy_file(shared_datasets, "clamp", "ClaMP_Raw-5184.csv", tmp_path)
    lines = path.read_text().splitlines()
    lines[3] = "oops," + lines[3].split(",", 1)[1]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(
        DatasetError, match=r"ClaMP_Raw-5184\.csv: line 4: column 'e_magic': not a number: 'oops'"
    ):
        clamp.load_clamp(tmp_path, verify=False)


def test_wrong_column_count_names_the_file(tmp_path: Path, shared_datasets: Path) -> None:
    for name in ("attack_types.csv", "field_names.csv", "KDDTest+.txt"):
        copy_file(shared_datasets, "nsl-kdd", name, tmp_path)
    path = copy_file(shared_datasets, "nsl-kdd", "KDDTrain+_20Percent.txt", tmp_path)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")  # drop the difficulty column
    with pytest.raises(DatasetError, match=r"KDDTrain\+_20Percent\.txt: 42 columns, expected 43"):
        nsl_kdd.load_nsl_kdd(tmp_path, verify=False)


def test_unknown_attack_names_the_file(tmp_path: Path, shared_datasets: Path) -> None:
    for name in ("attack_types.csv", "field_names.csv", "KDDTest+.txt"):
        copy_file(shared_datasets, "nsl-kdd", name, tmp_path)
    path = copy_file(shared_datasets, "nsl-kdd", "KDDTrain+_20Percent.txt", tmp_path)
    path.write_text(path.read_text().replace(",neptune,", ",martian,", 1))
    with pytest.raises(DatasetError, match=r"KDDTrain\+_20Percent\.txt: line \d+: attack 'martian'"):
        nsl_kdd.load_nsl_kdd(tmp_path, verify=False)


def test_missing_file_names_the_file(tmp_path: Path, shared_datasets: Path) -> None:
    copy_file(shared_datasets, "twitter-bots", "bots/bots.1k.csv", tmp_path)
    with pytest.raises(DatasetError, match=r"twitter-bots/bots/bots\.100k\.csv: file missing"):
        twitter_bots.load_twitter_bots(tmp_path)
