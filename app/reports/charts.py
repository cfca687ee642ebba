"""Charts drawn on the server as inline SVG: no script, no CDN, colours as presentation attributes.

Each chart has a title and a description in words (its text alternative); the table with the same
figures is printed right under it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 340
LABEL_WIDTH = 116
VALUE_WIDTH = 54
BAR_HEIGHT = 16
ROW_GAP = 8
LEGEND_LINE = 20
COLOURS = ("#12355b", "#0b6e69")  # navy and teal of the app's palette: 3:1 and more against white


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    value_text: str
    text_x: float


@dataclass
class BarRow:
    label: str
    label_y: float
    bars: list[Bar]


@dataclass
class BarChart:
    id: str
    title: str
    description: str
    height: float
    rows: list[BarRow]
    legend: list[tuple[str, str, float]] = field(default_factory=list)  # (label, colour, baseline)


def bar_chart(
    chart_id: str,
    title: str,
    labels: list[str],
    series: list[tuple[str, list[Decimal | int | float | None], list[str]]],
) -> BarChart:
    """Horizontal bars, one row per label and one bar per series (value and its text): fits a phone."""
    values = [float(v or 0) for _, numbers, _ in series for v in numbers]
    top = max(values, default=0) or 1.0
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    legend = len(series) > 1
    y = (LEGEND_LINE * len(series) + 6.0) if legend else 4.0
    rows = []
    for index, label in enumerate(labels):
        bars = []
        for n, (_, numbers, texts) in enumerate(series):
            value = float(numbers[index] or 0)
            width = round(area * value / top, 1)
            bars.append(
                Bar(
                    LABEL_WIDTH,
                    y + n * BAR_HEIGHT,
                    max(width, 0.5 if value else 0),
                    BAR_HEIGHT - 2,
                    COLOURS[n % len(COLOURS)],
                    texts[index],
                    LABEL_WIDTH + width + 4,
                )
            )
        row_height = BAR_HEIGHT * len(series)
        rows.append(BarRow(label, y + row_height / 2 + 4.5, bars))
        y += row_height + ROW_GAP
    described = "; ".join(
        f"{label}: " + ", ".join(f"{name} {texts[i]}" if legend else texts[i] for name, _, texts in series)
        for i, label in enumerate(labels)
    )
    return BarChart(
        chart_id,
        title,
        described,
        y,
        rows,
        [(name, COLOURS[n % len(COLOURS)], LEGEND_LINE * (n + 1) - 5) for n, (name, _, _) in enumerate(series)]
        if legend
        else [],
    )


@dataclass
class LineChart:
    id: str
    title: str
    description: str
    height: float
    points: str
    dots: list[tuple[float, float]]
    x_labels: list[tuple[float, str]]
    y_lines: list[tuple[float, str]]
    left: float
    right: float


def line_chart(
    chart_id: str, title: str, labels: list[str], values: list[Decimal | int], texts: list[str], scale: list[str]
) -> LineChart:
    """A line over months; `scale` holds the texts for 0, half and the top of the value axis."""
    left, right, top_y, bottom_y = 46.0, WIDTH - 22.0, 12.0, 150.0
    top = max((float(v) for v in values), default=0) or 1.0
    step = (right - left) / max(len(values) - 1, 1)
    dots = [
        (round(left + i * step, 1), round(bottom_y - (bottom_y - top_y) * float(v) / top, 1))
        for i, v in enumerate(values)
    ]
    # At most four month names fit under the axis of a phone-wide chart.
    every = max(1, -(-len(labels) // 4))
    x_labels = [(dots[i][0], labels[i]) for i in range(0, len(labels), every)]
    y_lines = [(bottom_y, scale[0]), ((bottom_y + top_y) / 2, scale[1]), (top_y, scale[2])]
    return LineChart(
        chart_id,
        title,
        "; ".join(f"{label}: {text}" for label, text in zip(labels, texts, strict=True)),
        bottom_y + 26,
        " ".join(f"{x},{y}" for x, y in dots),
        dots,
        x_labels,
        y_lines,
        left,
        right,
    )
