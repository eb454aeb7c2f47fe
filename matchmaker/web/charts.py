"""Charts drawn on the server as inline SVG: no chart library, no script, nothing fetched.

Each function returns markup safe to put in a template.  Colours and sizes are SVG
presentation attributes and CSS classes from ``static/app.css`` (the Content-Security-
Policy allows no inline ``style``).  Every chart has a ``<title>`` and an ``aria-label``
so a screen reader says what it shows, and the pages print the same figures as text.
"""
from __future__ import annotations

from markupsafe import Markup, escape


def _svg(width: int, height: int, label: str, body: list[str], css: str = "chart") -> Markup:
    return Markup(
        f'<svg class="{css}" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet"><title>{escape(label)}</title>'
        + "".join(body) + "</svg>"
    )


def line_chart(points: list[tuple[str, float]], label: str, ymax: float = 100, threshold: float | None = None,
               width: int = 480, height: int = 200) -> Markup:
    """A line over time (``points``: (x label, value)), y from 0 to ``ymax``; an optional
    dashed line at ``threshold``."""
    left, right, top, bottom = 40, 16, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    body = []
    for tick in range(0, 101, 25):
        value = ymax * tick / 100
        y = top + plot_h - plot_h * tick / 100
        body.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
        body.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    if threshold is not None:
        y = top + plot_h - plot_h * min(threshold, ymax) / ymax
        body.append(f'<line class="threshold" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>')
    if not points:
        body.append(f'<text class="axis" x="{left + plot_w / 2:.0f}" y="{top + plot_h / 2:.0f}" text-anchor="middle">—</text>')
        return _svg(width, height, label, body)
    step = plot_w / max(len(points) - 1, 1)
    coords = []
    for i, (_, value) in enumerate(points):
        x = left + (step * i if len(points) > 1 else plot_w / 2)
        y = top + plot_h - plot_h * max(0.0, min(float(value), ymax)) / ymax
        coords.append((x, y))
    body.append('<polyline class="line" fill="none" points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
    every = max(1, len(points) // 6)
    for i, ((x, y), (name, value)) in enumerate(zip(coords, points)):
        body.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="4"><title>{escape(name)}: {value:g}</title></circle>')
        if i % every == 0 or i == len(points) - 1:
            body.append(f'<text class="axis" x="{x:.1f}" y="{height - 12}" text-anchor="middle">{escape(name)}</text>')
    return _svg(width, height, label, body)


def label_width(text: str, size: float = 12.5) -> float:
    """About how wide a label is drawn: a Chinese character a full em, a Latin one a bit over half."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.58 for ch in str(text))


def bar_chart(rows: list[tuple], label: str, value_text=None, width: int = 420) -> Markup:
    """Horizontal bars (``rows``: (label, value, target or None[, text])); a target is a
    tick mark and the bar turns "done" when it reaches it; ``text`` replaces the figures
    printed after the bar."""
    value_text = value_text or (lambda v: f"{v:g}")
    bar_h, gap, right = 20, 10, 84
    # the labels' column fits the longest label (English ones run longer), the bars keep their room
    left = round(max([132] + [label_width(row[0]) + 14 for row in rows]))
    width += left - 132
    height = len(rows) * (bar_h + gap) + gap
    scale_max = max([max(row[1] or 0, row[2] or 0) for row in rows] + [1])
    plot_w = width - left - right
    body = []
    for i, (name, value, target, *given) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = plot_w * (value or 0) / scale_max
        done = target is not None and (value or 0) >= target
        body.append(f'<text class="label" x="{left - 8}" y="{y + bar_h * 0.7:.1f}" text-anchor="end">{escape(name)}</text>')
        body.append(f'<rect class="track" x="{left}" y="{y}" width="{plot_w}" height="{bar_h}" rx="3"/>')
        body.append(f'<rect class="bar{" done" if done else ""}" x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3"/>')
        text = value_text(value or 0)
        if target is not None:
            tx = left + plot_w * target / scale_max
            body.append(f'<line class="target" x1="{tx:.1f}" y1="{y - 3}" x2="{tx:.1f}" y2="{y + bar_h + 3}"/>')
            text += " / " + value_text(target)
        if given:
            text = given[0]
        body.append(f'<text class="value" x="{left + plot_w + 8}" y="{y + bar_h * 0.7:.1f}">{escape(text)}</text>')
    return _svg(width, height, label, body)


def funnel(stages: list[tuple[str, float]], label: str, width: int = 420) -> Markup:
    """Stages narrowing down (suggested → interested → met → funded), each centred, with
    its count and its share of the stage before."""
    bar_h, gap = 34, 8
    height = len(stages) * (bar_h + gap) + gap
    top_value = max([v for _, v in stages] + [1])
    body = []
    for i, (name, value) in enumerate(stages):
        y = gap + i * (bar_h + gap)
        w = max(2.0, (width - 20) * value / top_value)
        x = (width - w) / 2
        body.append(f'<rect class="bar funnel-{i}" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="4"/>')
        share = ""
        if i and stages[i - 1][1]:
            share = f" ({100 * value / stages[i - 1][1]:.0f}%)"
        body.append(f'<text class="funnel-text" x="{width / 2:.0f}" y="{y + bar_h * 0.65:.1f}" text-anchor="middle">'
                    f'{escape(name)}: {value:g}{share}</text>')
    return _svg(width, height, label, body)


def meter(value: float, maximum: float = 100, label: str = "") -> Markup:
    """A small progress bar (0..maximum)."""
    share = max(0.0, min(float(value or 0) / (maximum or 1), 1.0))
    css = "good" if share >= 0.999 else ("mid" if share >= 0.5 else "low")
    return Markup(
        f'<svg class="meter" viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label="{escape(label)}">'
        f'<rect class="track" x="0" y="0" width="100" height="8" rx="4"/>'
        f'<rect class="fill {css}" x="0" y="0" width="{100 * share:.1f}" height="8" rx="4"/></svg>'
    )
