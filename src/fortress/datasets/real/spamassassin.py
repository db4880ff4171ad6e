"""SpamAssassin public mail corpus (Apache SpamAssassin project; PDDL-1.0 / CC0).

Raw RFC 822 messages, one file each, in ``easy-ham-1``, ``easy-ham-2``, ``hard-ham-1`` (ham) and
``spam-1``, ``spam-2`` (spam). Headers leak the label, so only the decoded text bodies are kept (HTML
tags stripped crudely); the ``From`` address is kept apart for authorship work.
"""

from __future__ import annotations

import email
import email.message
import email.utils
import html
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from fortress.datasets.checksums import folder_files, folder_sha256
from fortress.datasets.manifest import dataset_manifest
from fortress.datasets.verify import require_file
from fortress.errors import DatasetError

DATASET = "spamassassin"
HAM_FOLDERS: tuple[str, ...] = ("easy-ham-1", "easy-ham-2", "hard-ham-1")
SPAM_FOLDERS: tuple[str, ...] = ("spam-1", "spam-2")

_SCRIPT = re.compile(r"<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_MIME_HEADER_LINE = re.compile(r"^(content-[a-z-]+|mime-version):.*\n?", re.IGNORECASE | re.MULTILINE)
_LOOKS_HTML = re.compile(r"<(html|body|p|br|div|font|table)\b", re.IGNORECASE)
_BLANK_LINES = re.compile(r"\n{3,}")
_TRAILING_SPACE = re.compile(r"[ \t\r\f\v]+$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Message:
    folder: str
    file: str
    sender: str
    """Lower-cased address of the ``From`` header ('' when there is none)."""
    text: str
    """Decoded text/plain bodies (text/html ones, tags stripped, when there is no plain part)."""


def load_spamassassin(
    datasets_dir: Path, *, folders: tuple[str, ...] = HAM_FOLDERS + SPAM_FOLDERS, verify: bool = True
) -> pd.DataFrame:
    """Columns ``folder``, ``file``, ``sender``, ``text`` and ``label`` ('ham' | 'spam')."""
    messages: list[Message] = []
    for folder in folders:
        path = require_file(datasets_dir, DATASET, folder, verify=verify)
        entry = dataset_manifest(DATASET).entry(folder)
        parsed = _parse_folder(os.path.abspath(path), entry.sha256 if verify else folder_sha256(path))
        expected = entry.rows
        if verify and len(parsed) != expected:
            raise DatasetError(f"{path}: {len(parsed)} messages, expected {expected}")
        messages.extend(parsed)
    frame = pd.DataFrame(
        [(m.folder, m.file, m.sender, m.text) for m in messages], columns=["folder", "file", "sender", "text"]
    )
    frame["label"] = ["ham" if f in HAM_FOLDERS else "spam" for f in frame["folder"]]
    return frame


@lru_cache(maxsize=16)
def _parse_folder(path: str, digest: str) -> tuple[Message, ...]:
    """Every message of one folder, parsed once per process for a given folder checksum."""
    folder = Path(path)
    return tuple(parse_message(p, folder.name) for p in folder_files(folder))


def parse_message(path: Path, folder: str = "") -> Message:
    try:
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f)
    except OSError as exc:
        raise DatasetError(f"{path}: unreadable: {exc}") from exc
    sender = email.utils.parseaddr(str(msg.get("From", "")))[1].strip().lower()
    return Message(folder, path.name, sender, body_text(msg))


def body_text(msg: email.message.Message) -> str:
    """The text bodies of a message without any header: plain parts, else HTML parts with tags stripped."""
    plain: list[str] = []
    markup: list[str] = []
    for part in msg.walk():
        if part.get_content_maintype() != "text" or part.get_content_disposition() == "attachment":
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        text = _decode(payload, part.get_content_charset())
        if part.get_content_subtype() == "html":
            markup.append(strip_html(text))
        elif part.get_content_subtype() == "plain":
            plain.append(_clean_plain(text))
    body = _TRAILING_SPACE.sub("", "\n\n".join(plain or markup))
    return _BLANK_LINES.sub("\n\n", body).strip()


def strip_html(text: str) -> str:
    """Crude HTML to text: drop scripts, styles and tags, unescape entities."""
    return html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", text)))


def _clean_plain(text: str) -> str:
    """Malformed mails carry undeclared MIME parts or HTML in text/plain: drop part headers and tags."""
    text = _MIME_HEADER_LINE.sub("", text)
    return strip_html(text) if _LOOKS_HTML.search(text) else text


def strip_quoted(text: str) -> str:
    """Drop reply lines quoting another message (those starting with '>')."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">")).strip()


def _decode(payload: bytes, charset: str | None) -> str:
    try:
        return payload.decode(charset or "latin-1", errors="replace")
    except LookupError:  # unknown charset names such as 'default' or 'unknown-8bit'
        return payload.decode("latin-1")
