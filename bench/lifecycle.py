"""What every wrk benchmark's `main` does around its measurements: refuse without wrk, stop servers on
SIGTERM, work in a temporary folder, time the run, print the report and write it into the docs."""

from __future__ import annotations

import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import FrameType
from typing import Protocol, TypeVar

from bench.serving.wrk import WRK_INSTALL_HINT, wrk_binary


class _Point(Protocol):
    @property
    def key(self) -> str: ...


class _Outcome(Protocol):
    seconds: float

    @property
    def points(self) -> Iterable[_Point]: ...


OutcomeT = TypeVar("OutcomeT", bound=_Outcome)


def progress(message: str) -> None:
    print(message, flush=True)


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)  # unwinds through every `running(...)` block: servers are stopped


def run_and_report(
    *,
    prefix: str,
    benchmark: Callable[[Path], OutcomeT],
    render: Callable[[OutcomeT], str],
    write_docs: Callable[[Path, str], None],
    docs: Path | None,
    required: set[str],
) -> int:
    """0 when every ``required`` server was measured, 1 if not, 2 without wrk. ``docs`` None: print only."""
    if wrk_binary() is None:
        print(WRK_INSTALL_HINT, file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        outcome = benchmark(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    outcome.seconds = time.monotonic() - started
    section = render(outcome)
    progress("")
    progress(section)
    if docs is not None:
        write_docs(docs, section)
        progress(f"wrote {docs}")
    measured = {p.key for p in outcome.points}
    return 0 if required <= measured else 1


def replace_section(path: Path, section: str, begin: str, end: str) -> None:
    """Put ``section`` (which starts with ``begin`` and ends with ``end``) in place of the text between
    those markers in ``path``; append it when the markers are missing."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + section.rstrip("\n") + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
