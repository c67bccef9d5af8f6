"""Charts drawn on the server as inline SVG: no script, no external asset, nothing from a feed
left unescaped (every label goes through markupsafe). Colours come from the stylesheet
through class names, so the Content-Security-Policy needs no inline style."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from markupsafe import Markup, escape

SOURCING_KINDS = ("person", "organization", "anonymous", "outlet", "unsourced")
PALETTE = 8  # classes c0..c7 in style.css


@dataclass(frozen=True)
class Point:
    outlet: str
    at: datetime
    label: str
    anchor: str  # in-page anchor of the article


def _ticks(start: datetime, end: datetime, count: int = 5) -> list[datetime]:
    span = (end - start) / max(1, count - 1)
    return [start + span * i for i in range(count)]


def timeline(points: Sequence[Point], tz: tzinfo, *, title: str = "", width: int = 720) -> Markup:
    """One row per outlet (in order of first publication), one dot per article at its time."""
    if not points:
        return Markup("")
    outlets = list(dict.fromkeys(p.outlet for p in sorted(points, key=lambda p: p.at)))
    start, end = min(p.at for p in points), max(p.at for p in points)
    if end - start < timedelta(minutes=30):
        start, end = start - timedelta(minutes=15), end + timedelta(minutes=15)
    label_w, pad, row_h, axis_h = 150, 24, 26, 28
    plot_w = width - label_w - 2 * pad
    height = axis_h + row_h * len(outlets) + pad
    total = (end - start).total_seconds()

    def x(at: datetime) -> float:
        return round(label_w + pad + plot_w * (at - start).total_seconds() / total, 1)

    multi_day = start.astimezone(tz).date() != end.astimezone(tz).date()
    parts = [
        f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    ticks = _ticks(start, end)
    for i, tick in enumerate(ticks):
        local = tick.astimezone(tz)
        text = local.strftime("%d/%m %H:%M" if multi_day else "%H:%M")
        anchor = "start" if i == 0 and multi_day else "end" if i == len(ticks) - 1 else "middle"
        parts.append(f'<line class="grid" x1="{x(tick)}" x2="{x(tick)}" y1="{axis_h - 6}" y2="{height - pad}"/>')
        parts.append(f'<text class="tick" x="{x(tick)}" y="{axis_h - 12}" text-anchor="{anchor}">{escape(text)}</text>')
    for row, outlet in enumerate(outlets):
        y = axis_h + row_h * row + row_h / 2
        name = outlet if len(outlet) <= 20 else outlet[:19] + "…"
        parts.append(f'<text class="outlet-label" x="{label_w - 4}" y="{y + 4}" text-anchor="end">{escape(name)}</text>')
        parts.append(f'<line class="lane" x1="{label_w + pad}" x2="{width - pad}" y1="{y}" y2="{y}"/>')
        for point in (p for p in points if p.outlet == outlet):
            when = point.at.astimezone(tz).strftime("%d/%m %H:%M")
            parts.append(
                f'<a href="#{escape(point.anchor)}"><circle class="dot c{row % PALETTE}" cx="{x(point.at)}" cy="{y}" r="6">'
                f"<title>{escape(outlet)}, {when}: {escape(point.label)}</title></circle></a>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def normalise_sourcing(shares: Mapping[str, float]) -> dict[str, float]:
    values = {k: max(0.0, float(shares.get(k, 0.0) or 0.0)) for k in SOURCING_KINDS}
    total = sum(values.values())
    return {k: (v / total if total else 0.0) for k, v in values.items()}


def average_sourcing(items: Sequence[Mapping[str, float]]) -> dict[str, float]:
    items = [normalise_sourcing(i) for i in items if i and sum(normalise_sourcing(i).values())]
    if not items:
        return {k: 0.0 for k in SOURCING_KINDS}
    return {k: sum(i[k] for i in items) / len(items) for k in SOURCING_KINDS}


def sourcing_bar(shares: Mapping[str, float], labels: Mapping[str, str], *, width: int = 300, height: int = 18) -> Markup:
    """A stacked bar: share of named people, organisations, unnamed sources, the outlet itself,
    and unsourced sentences."""
    values = normalise_sourcing(shares)
    summary = ", ".join(f"{labels.get(k, k)} {round(100 * v)} %" for k, v in values.items())
    parts = [f'<svg class="sourcing" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" aria-label="{escape(summary)}" xmlns="http://www.w3.org/2000/svg">']
    if not any(values.values()):
        parts.append(f'<rect class="empty" x="0" y="0" width="{width}" height="{height}"/>')
    offset = 0.0
    for kind, share in values.items():
        if share <= 0:
            continue
        w = round(width * share, 2)
        parts.append(f'<rect class="k-{kind}" x="{round(offset, 2)}" y="0" width="{w}" height="{height}"><title>{escape(labels.get(kind, kind))}: {round(100 * share)} %</title></rect>')
        offset += w
    parts.append("</svg>")
    return Markup("".join(parts))


def share_lines(series: Sequence[tuple[str, Mapping[str, float]]], kinds: Sequence[str], labels: Mapping[str, str], *, width: int = 600, height: int = 160) -> Markup:
    """Lines of shares (0-100 %) over buckets (e.g. weeks), one line per kind."""
    if not series:
        return Markup("")
    pad_l, pad_b, pad_t, pad_r = 48, 22, 10, 10
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    n = len(series)

    def x(i: int) -> float:
        return round(pad_l + (plot_w * i / (n - 1) if n > 1 else plot_w / 2), 1)

    def y(v: float) -> float:
        return round(pad_t + plot_h * (1 - v), 1)

    parts = [f'<svg class="lines" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(", ".join(labels.get(k, k) for k in kinds))}" xmlns="http://www.w3.org/2000/svg">']
    for v in (0.0, 0.5, 1.0):
        parts.append(f'<line class="grid" x1="{pad_l}" x2="{width - pad_r}" y1="{y(v)}" y2="{y(v)}"/><text class="tick" x="{pad_l - 4}" y="{y(v) + 4}" text-anchor="end">{int(v * 100)} %</text>')
    step = max(1, n // 6)
    for i, (bucket, _) in enumerate(series):
        if i % step == 0 or i == n - 1:
            parts.append(f'<text class="tick" x="{x(i)}" y="{height - 6}" text-anchor="middle">{escape(bucket)}</text>')
    for kind in kinds:
        points = " ".join(f"{x(i)},{y(values.get(kind, 0.0))}" for i, (_, values) in enumerate(series))
        parts.append(f'<polyline class="line k-{kind}" points="{points}"><title>{escape(labels.get(kind, kind))}</title></polyline>')
        for i, (bucket, values) in enumerate(series):
            parts.append(f'<circle class="dot k-{kind}" cx="{x(i)}" cy="{y(values.get(kind, 0.0))}" r="3"><title>{escape(bucket)}: {escape(labels.get(kind, kind))} {round(100 * values.get(kind, 0.0))} %</title></circle>')
    parts.append("</svg>")
    return Markup("".join(parts))
