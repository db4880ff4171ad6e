"""docs/AUDIT.md is executable: its variables are the real settings, its examples run."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry

from fortress.gateway.events import AuditEvent, EventSettings, build_event_sink
from support.audit import make_event

DOC = Path(__file__).resolve().parents[4] / "docs" / "AUDIT.md"
PREFIX = "FORTRESS_GATEWAY__EVENTS__"


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_every_documented_variable_is_a_setting_and_every_setting_is_documented() -> None:
    documented = set(re.findall(rf"{PREFIX}([A-Z0-9_]+)", _text()))
    assert documented == {name.upper() for name in EventSettings.model_fields}


def test_documented_defaults_are_the_real_defaults() -> None:
    rows = re.findall(rf"\| `{PREFIX}([A-Z0-9_]+)` \| `([^`$]+)` \|", _text())
    assert len(rows) >= 7
    defaults = EventSettings()
    for name, value in rows:
        assert str(getattr(defaults, name.lower())) == value, name


def test_the_example_event_is_an_event() -> None:
    block = re.search(r"```json\n(.*?)```", _text(), re.S)
    assert block is not None
    event = AuditEvent.from_json(block.group(1).encode())
    assert orjson.loads(event.to_json()) == orjson.loads(block.group(1))


def test_the_python_reading_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    sink = build_event_sink(EventSettings(), Path(".fortress"), CollectorRegistry())

    async def write() -> None:
        await sink.start()
        for n in range(4):  # make_event: n % 3 == 0 is malicious
            sink.emit(make_event(n, f"inv-{n}"))
        await sink.aclose()

    asyncio.run(write())
    [code] = re.findall(r"```python\n(.*?)```", _text(), re.S)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {})
    assert out.getvalue().splitlines() == [
        "inv-0 key-7f3a {'flow_gbdt': 3, 'dns_cnn': 12}",
        "inv-3 key-7f3a {'flow_gbdt': 3, 'dns_cnn': 12}",
    ]


def test_the_event_id_is_documented_as_the_gateway_makes_it() -> None:
    """A per-process random prefix and a counter (gateway/service.py), not the uuid4 it once said."""
    row = next(line for line in _text().splitlines() if line.startswith("| `event_id` |"))
    assert "uuid" not in row.lower().replace("not a uuid", "")
    assert "prefix" in row
    assert "counter" in row
    example = re.search(r'"event_id": "([0-9a-f]+)"', _text())
    assert example is not None
    assert len(example.group(1)) == 32
