"""docs/CONFIGURATION.md's settings table is generated from the settings models (``fortress docs
config``); this test fails when the file is out of date. Other branches add settings: rerun
``fortress docs config`` (the output depends only on the code, so regenerating is deterministic)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from fortress.docs.config_md import (
    BEGIN,
    END,
    render_table,
    replace_table,
    settings_rows,
    type_name,
)
from fortress.settings import Settings, env_names
from support.cli import fortress, one_error_line

DOC = Path(__file__).resolve().parents[3] / "docs" / "CONFIGURATION.md"


def test_configuration_md_table_is_the_generated_one() -> None:
    text = DOC.read_text(encoding="utf-8")
    expected = replace_table(text, render_table(settings_rows(Settings)))
    assert text == expected, "docs/CONFIGURATION.md is out of date: run `fortress docs config`"


def test_every_leaf_setting_has_a_row_and_every_row_is_a_real_variable() -> None:
    rows = {row.variable.replace("<KEY>", "*") for row in settings_rows(Settings)}
    names = set(env_names(Settings))
    assert rows <= names, rows - names
    sections = {n for n in names if any(other.startswith(n + "__") for other in names)}
    # Every variable is a row, a section whose leaves are rows (a whole section may be given as JSON),
    # or a key inside a mapping field that has its own row (FORTRESS_RUNTIME__VERSIONS__<model>).
    inside_a_row = {n for n in names if any(n.startswith(row + "__") for row in rows)}
    assert names - sections - inside_a_row <= rows, (names - sections - inside_a_row) - rows
    assert {"FORTRESS_HOME", "FORTRESS_GATEWAY__CACHE__REDIS_URL"} <= rows


def test_rows_carry_type_default_and_the_docstring_under_the_field() -> None:
    rows = {row.variable: row for row in settings_rows(Settings)}
    home = rows["FORTRESS_HOME"]
    assert (home.type, home.default) == ("Path", "`.fortress`")
    assert home.description == "Embedded registry, artifacts, caches and data live here."
    cache = rows["FORTRESS_GATEWAY__CACHE__BACKEND"]
    assert (cache.type, cache.default) == ('"memory" | "redis"', "`memory`")
    assert rows["FORTRESS_GATEWAY__CACHE__REDIS_URL"].default == "unset"
    assert rows["FORTRESS_GATEWAY__BACKENDS__<KEY>__KIND"].default == "required"
    assert rows["FORTRESS_RUNTIME__ALIASES"].default == '`["champion", "canary"]`'
    assert rows["FORTRESS_GATEWAY__AUTH__ENABLED"].default == "`true`"
    assert rows["FORTRESS_FEATURES__REDIS_KEY_TTL_SECONDS"].type == "int > 0 | None"
    assert type_name(dict[str, list[int]]) == "dict[str, list[int]]"


def test_rendering_is_deterministic_and_escapes_pipes() -> None:
    first = render_table(settings_rows(Settings))
    assert first == render_table(settings_rows(Settings))
    line = next(row for row in first.splitlines() if row.startswith("| `FORTRESS_DATASETS_DIR`"))
    assert line.count(" | ") == 3  # four cells: the pipe of `Path | None` is escaped
    assert "`Path \\| None`" in line


def test_fortress_docs_config_rewrites_only_the_table(tmp_path: Path) -> None:
    doc = tmp_path / "CONFIGURATION.md"
    shutil.copy(DOC, doc)
    stale = re.sub(
        rf"{re.escape(BEGIN)}\n.*?{re.escape(END)}", f"{BEGIN}\n| old |\n{END}", doc.read_text(), flags=re.S
    )
    doc.write_text(stale)
    result = fortress(tmp_path, "docs", "config", "--out", str(doc))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wrote {doc} ({len(settings_rows(Settings))} settings)"
    assert doc.read_text() == DOC.read_text()


def test_fortress_docs_config_errors(tmp_path: Path) -> None:
    missing = tmp_path / "missing.md"
    assert one_error_line(fortress(tmp_path, "docs", "config", "--out", str(missing))) == (
        f"error: {missing} does not exist"
    )
    plain = tmp_path / "plain.md"
    plain.write_text("# no table here\n")
    error = one_error_line(fortress(tmp_path, "docs", "config", "--out", str(plain)))
    assert error.startswith(f"error: {plain}: the document has no generated table")
    assert plain.read_text() == "# no table here\n"
