"""Charts drawn on the server as small SVG documents (no JavaScript, no outside host), each with
the same numbers as a table beside it, for screen readers and for checking.

A chart is plain data in, markup out: ``Chart.svg`` is the picture, ``Chart.header`` and
``Chart.rows`` the table. Every bar carries ``data-label`` and ``data-value`` so tests can read
the picture's numbers back. Colours and fonts come from presentation attributes and the page's
stylesheet (the CSP allows no inline style), and print in black on white as well.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup, escape

WIDTH = 360
BAR = 22  #: one horizontal bar's height
GAP = 8
LABEL_W = 116
VALUE_W = 52


@dataclass
class Chart:
    title: str
    svg: Markup
    header: list[str]
    rows: list[list] = field(default_factory=list)
    #: a short text saying what the picture shows (aria-describedby of the figure)
    summary: str = ""


def number(value) -> str:
    return f"{round(float(value or 0), 1):g}"


def _clip(text: str, width: int = 9) -> str:
    """Labels are cut to fit the picture; the table beside has them whole."""
    text = str(text)
    return text if len(text) <= width else text[:width - 1] + "…"


def _svg(title: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>")


def bars(title: str, items: list[tuple[str, float]], *, maximum: float | None = None,
         unit: str = "", header: list[str] | None = None, rows: list[list] | None = None,
         kind: str = "") -> Chart:
    """Horizontal bars, one per (label, value), drawn against ``maximum`` (the largest value
    when None). ``unit`` follows each value's text ("%", " 学时")."""
    top = maximum if maximum else max([v for _, v in items] + [0]) or 1
    span = WIDTH - LABEL_W - VALUE_W
    body = []
    for i, (label, value) in enumerate(items):
        y = GAP + i * (BAR + GAP)
        w = max(0.0, min(1.0, float(value or 0) / top)) * span
        body.append(
            f'<text x="{LABEL_W - 6}" y="{y + BAR * 0.72:.1f}" text-anchor="end" '
            f'font-size="13">{escape(_clip(label))}</text>'
            f'<rect class="bar {kind} i{i}" x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR}" '
            f'data-label="{escape(label)}" data-value="{number(value)}"/>'
            f'<text x="{LABEL_W + w + 4:.1f}" y="{y + BAR * 0.72:.1f}" font-size="13">'
            f"{number(value)}{escape(unit)}</text>")
    height = GAP + max(1, len(items)) * (BAR + GAP)
    return Chart(title=title, svg=_svg(title, height, body),
                 header=header or ["", ""],
                 rows=rows if rows is not None else [[label, number(value)]
                                                     for label, value in items])


def columns_with_line(title: str, items: list[tuple[str, float]], line: float | None,
                      line_label: str, *, header: list[str], rows: list[list]) -> Chart:
    """Vertical columns (the months) with a dashed horizontal line (the year's target)."""
    height, base, left = 200, 176, 30
    top = max([v for _, v in items] + [line or 0, 1]) * 1.1
    slot = (WIDTH - left - 4) / max(1, len(items))
    scale = (base - 12) / top
    body = [f'<line class="axis" x1="{left}" y1="{base}" x2="{WIDTH - 4}" y2="{base}"/>']
    for i, (label, value) in enumerate(items):
        x = left + i * slot + slot * 0.15
        h = float(value or 0) * scale
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{base - h:.1f}" width="{slot * 0.7:.1f}" '
            f'height="{h:.1f}" data-label="{escape(label)}" data-value="{number(value)}"/>'
            f'<text x="{x + slot * 0.35:.1f}" y="{base + 16}" text-anchor="middle" '
            f'font-size="11">{escape(label)}</text>')
    if line:
        y = base - line * scale
        body.append(
            f'<line class="target" x1="{left}" y1="{y:.1f}" x2="{WIDTH - 4}" y2="{y:.1f}" '
            f'stroke-dasharray="6 4" data-value="{number(line)}"/>'
            f'<text x="{left + 2}" y="{y - 4:.1f}" font-size="12">{escape(line_label)}</text>')
    return Chart(title=title, svg=_svg(title, height, body), header=header, rows=rows)


def grouped(title: str, groups: list[tuple[str, list[float | None]]], series: list[str], *,
            header: list[str], rows: list[list], unit: str = "%", maximum: float = 100) -> Chart:
    """Side by side: for each group (an organisation) one thin bar per series (an outcome),
    with a legend on top. A value of None (nobody it applies to) draws no bar and "—"."""
    thin, legend_h = 14, 22
    span = WIDTH - LABEL_W - VALUE_W
    body = []
    for i, name in enumerate(series):
        x = 4 + i * (WIDTH // max(1, len(series)))
        body.append(f'<rect class="bar s{i}" x="{x}" y="4" width="12" height="12"/>'
                    f'<text x="{x + 16}" y="15" font-size="12">{escape(name)}</text>')
    y = legend_h + GAP
    for label, values in groups:
        block = len(values) * (thin + 2)
        body.append(f'<text x="{LABEL_W - 6}" y="{y + block / 2 + 4:.1f}" text-anchor="end" '
                    f'font-size="13">{escape(_clip(label))}</text>')
        for i, value in enumerate(values):
            w = 0.0 if value is None else max(0.0, min(1.0, value / maximum)) * span
            text = "—" if value is None else f"{number(value)}{unit}"
            body.append(
                f'<rect class="bar s{i}" x="{LABEL_W}" y="{y:.1f}" width="{w:.1f}" '
                f'height="{thin}" data-label="{escape(label)} · {escape(series[i])}" '
                f'data-value="{"" if value is None else number(value)}"/>'
                f'<text x="{LABEL_W + w + 4:.1f}" y="{y + thin - 3:.1f}" font-size="11">'
                f"{escape(text)}</text>")
            y += thin + 2
        y += GAP
    return Chart(title=title, svg=_svg(title, int(y) + 2, body), header=header, rows=rows)
