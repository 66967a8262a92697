"""Server-rendered SVG line charts, so the dashboard needs no JavaScript library and no CDN."""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from monitoring.services.lag import format_seconds

WIDTH = 560
HEIGHT = 200
# Room for the y-axis labels on the left and the x-axis labels below.
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 12, 28

# Scale tops for durations in seconds, so the axis reads 1 min or 15 min instead of 1 min 40 s.
DURATION_STEPS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 6 * 3600, 12 * 3600, 24 * 3600)


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


def nice_duration_maximum(seconds):
    """Return the smallest of DURATION_STEPS that is at least `seconds`, or whole days beyond them."""
    for step in DURATION_STEPS:
        if step >= seconds:
            return step
    return 24 * 3600 * -(-seconds // (24 * 3600))


def half_ticks(top_value):
    """Return the y-axis tick values 0, half the top and the top."""
    return (0, top_value / 2, top_value)


def whole_number_ticks(top_value):
    """Return whole-number y-axis tick values for a count: 0, half the top and the top where possible.

    nice_maximum tops a count's axis at 1, 2 or 5 times a power of ten, so half the top is a whole
    number except for 1 and 5. These two get a tick per unit instead of "0.5" or "2.5".
    """
    if top_value % 2 == 0:
        return (0, top_value // 2, top_value)
    return tuple(range(int(top_value) + 1))


def format_number(value):
    return f"{value:g}"


def line_chart(title, labels, series, *, format_value=format_number, scale=nice_maximum, ticks=half_ticks, reference=None):
    """Return an SVG chart with one line per (name, values, css class) in `series`.

    `scale` turns the largest value into the top of the y axis, and `ticks` turns that top into the
    values labelled on the axis. `reference` is an optional (name, value) drawn as a dashed
    horizontal line, such as a target.
    """
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    peak = max([max(values, default=0) for _, values, _ in series] + [reference[1] if reference else 0])
    top_value = scale(peak)
    steps = max(len(labels) - 1, 1)

    def x(index):
        return LEFT + plot_width * index / steps

    def y(value):
        return TOP + plot_height * (1 - value / top_value)

    parts = [
        f'<svg class="kontor-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for value in ticks(top_value):
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{escape(format_value(value))}</text>'
        )
    label_every = max(1, len(labels) // 8)
    for index, label in enumerate(labels):
        is_last = index == len(labels) - 1
        # A grid label close to the last one would overlap it.
        crowded = not is_last and len(labels) - 1 - index < label_every / 2 + 1
        if (index % label_every == 0 and not crowded) or is_last:
            anchor = "end" if is_last else "middle"
            parts.append(f'<text class="axis" x="{x(index):.1f}" y="{HEIGHT - 8}" text-anchor="{anchor}">{escape(label)}</text>')
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


def dashboard_charts(series, hot_target, master_target, order_backlog=None):
    """Return [(title, svg, legend)] for the dashboard; legend is [(name, css class)].

    `series` is chart_series() output; the targets are the default lag targets in seconds.
    `order_backlog` is order_backlog_series() output, drawn as a fifth chart unless it is None.
    """
    labels = series["labels"]
    target = gettext("default target")
    # Counts get whole-number ticks, while the lag charts in seconds keep their duration scale.
    counts = {"ticks": whole_number_ticks}
    definitions = [
        (gettext("Events in and out"), [(gettext("received"), series["inbound"], "in"), (gettext("delivered"), series["outbound"], "out")], counts),
        (
            gettext("Sync errors"),
            [(gettext("sync errors"), series["errors"], "errors"), (gettext("import warnings"), series["warnings"], "warnings")],
            counts,
        ),
        (
            gettext("Lag of hot data (stock, prices, orders)"),
            [
                (gettext("oldest still waiting"), series["waiting_hot"], "waiting-hot"),
                (gettext("longest wait of finished items"), series["lag_hot"], "lag-hot"),
            ],
            {"format_value": format_seconds, "scale": nice_duration_maximum, "reference": (target, hot_target)},
        ),
        (
            gettext("Lag of master data (catalog, customers)"),
            [
                (gettext("oldest still waiting"), series["waiting_master"], "waiting-master"),
                (gettext("longest wait of finished items"), series["lag_master"], "lag-master"),
            ],
            {"format_value": format_seconds, "scale": nice_duration_maximum, "reference": (target, master_target)},
        ),
    ]
    if order_backlog is not None:
        definitions.append(
            (gettext("Orders waiting for the ERP"), [(gettext("waiting order messages"), order_backlog, "backlog")], counts)
        )
    charts = []
    for title, lines, options in definitions:
        legend = [(name, css_class) for name, _, css_class in lines]
        if "reference" in options:
            legend.append((target, "reference"))
        charts.append((title, line_chart(title, labels, lines, **options), legend))
    return charts
