"""A self-contained HTML drift report: a table, then per feature the reference and current share of
each bin as an inline SVG bar chart (no script, no stylesheet or font from elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from fortress.monitoring.drift.compare import FeatureResult

WIDTH, HEIGHT, PAD = 640, 180, 28
COLORS = {"reference": "#9aa5b1", "current": "#2f6fdf"}
LEVEL_COLORS = {"ok": "#1b7f3b", "warn": "#b26a00", "alert": "#c62828"}
STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#1f2933}
table{border-collapse:collapse;margin-bottom:2em}
td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.feature{margin:1.5em 0}
.legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}
"""


def _chart(result: FeatureResult) -> str:
    n = len(result.bins)
    top = max([*result.reference, *result.current, 1e-9])
    slot = (WIDTH - 2 * PAD) / max(1, n)
    bar = slot * 0.4
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT + 40}" role="img">']
    parts.append(f'<line x1="{PAD}" y1="{HEIGHT}" x2="{WIDTH - PAD}" y2="{HEIGHT}" stroke="#555"/>')
    for i, (label, ref, cur) in enumerate(zip(result.bins, result.reference, result.current, strict=True)):
        x = PAD + i * slot
        for j, (name, share) in enumerate((("reference", ref), ("current", cur))):
            h = (HEIGHT - 10) * share / top
            parts.append(
                f'<rect x="{x + slot * 0.1 + j * bar:.1f}" y="{HEIGHT - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{COLORS[name]}">'
                f"<title>{escape(label)}: {name} {share:.1%}</title></rect>"
            )
        text = escape(label if len(label) <= 14 else label[:13] + "…")
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{HEIGHT + 14}" font-size="9" text-anchor="end" '
            f'transform="rotate(-30 {x + slot / 2:.1f} {HEIGHT + 14})">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def render(title: str, rows: int, results: Sequence[FeatureResult]) -> str:
    table = [
        "<table><tr><th>feature</th><th>kind</th><th>statistic</th><th>score</th>"
        "<th>threshold (warn / alert)</th><th>drifted</th></tr>"
    ]
    for r in results:
        color = LEVEL_COLORS[r.level]
        table.append(
            f"<tr><td>{escape(r.feature)}</td><td>{r.kind}</td><td>{r.statistic}</td>"
            f'<td class="num">{r.score:.4f}</td><td class="num">{r.warn:g} / {r.alert:g}</td>'
            f'<td style="color:{color}">{"yes" if r.drifted else "no"} ({r.level})</td></tr>'
        )
    table.append("</table>")
    drifted = sum(r.drifted for r in results)
    charts = [
        f'<div class="feature"><h3>{escape(r.feature)}: {r.statistic} {r.score:.4f}</h3>{_chart(r)}</div>'
        for r in results
    ]
    legend = "".join(f'<span style="background:{c}"></span>{n}' for n, c in COLORS.items())
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>"
        f"<p>{rows:,} rows compared; {drifted} of {len(results)} features drifted.</p>"
        f'<p class="legend">{legend}</p>{"".join(table)}{"".join(charts)}</body></html>\n'
    )
