"""Server-rendered SVG line charts, so the dashboard needs no JavaScript library and no CDN."""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from monitoring.services.lag import format_seconds

WIDTH = 560
HEIGHT = 200
# Room for the y-axis labels on the left and the x-axis labels below.
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


def nice_maximum(value):
    """Return the smallest 1, 2 or 5 times a power of ten that is at least `value` (1 for 0)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    while magnitude > value:
        magnitude /= 10
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= value:
            return factor * magnitude
    return 10 * magnitude


def line_chart(title, labels, series, *, format_value=str, reference=None):
    """Return an SVG chart with one line per (name, values, css class) in `series`.

    `reference` is an optional (name, value) drawn as a dashed horizontal line, such as a target.
    """
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    peak = max([max(values, default=0) for _, values, _ in series] + [reference[1] if reference else 0])
    top_value = nice_maximum(peak)
    steps = max(len(labels) - 1, 1)

    def x(index):
        return LEFT + plot_width * index / steps

    def y(value):
        return TOP + plot_height * (1 - value / top_value)

    parts = [
        f'<svg class="kontor-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for fraction in (0, 0.5, 1):
        value = top_value * fraction
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{escape(format_value(value))}</text>'
        )
    label_every = max(1, len(labels) // 8)
    for index, label in enumerate(labels):
        if index % label_every == 0 or index == len(labels) - 1:
            parts.append(f'<text class="axis" x="{x(index):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{escape(label)}</text>')
    if reference:
        parts.append(
            f'<line class="reference" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(reference[1]):.1f}" y2="{y(reference[1]):.1f}">'
            f"<title>{escape(reference[0])}</title></line>"
        )
    for name, values, css_class in series:
        points = " ".join(f"{x(index):.1f},{y(value):.1f}" for index, value in enumerate(values))
        parts.append(f'<polyline class="series {escape(css_class)}" points="{points}"><title>{escape(name)}</title></polyline>')
    parts.append("</svg>")
    # Every interpolated text is escaped above, so the markup is safe to mark as such.
    return mark_safe("".join(parts))


def dashboard_charts(series, hot_target, master_target):
    """Return [(title, svg)] for the dashboard from chart_series() output and the default lag targets."""
    labels = series["labels"]
    target = gettext("target for connections without their own")
    return [
        (
            gettext("Events in and out"),
            line_chart(
                gettext("Events in and out"),
                labels,
                [(gettext("received"), series["inbound"], "in"), (gettext("delivered"), series["outbound"], "out")],
            ),
        ),
        (gettext("Sync errors"), line_chart(gettext("Sync errors"), labels, [(gettext("sync errors"), series["errors"], "errors")])),
        (
            gettext("Lag of hot data (stock, prices, orders)"),
            line_chart(
                gettext("Lag of hot data (stock, prices, orders)"),
                labels,
                [(gettext("longest wait"), series["lag_hot"], "lag-hot")],
                format_value=format_seconds,
                reference=(target, hot_target),
            ),
        ),
        (
            gettext("Lag of master data (catalog, customers)"),
            line_chart(
                gettext("Lag of master data (catalog, customers)"),
                labels,
                [(gettext("longest wait"), series["lag_master"], "lag-master")],
                format_value=format_seconds,
                reference=(target, master_target),
            ),
        ),
    ]
