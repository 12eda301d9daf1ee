from datetime import date

from trellis.core.svgchart import Band, Bar, LineChart, Point, line_chart


def chart(**kw):
    base = dict(title="PHQ-9 <total>", description="3 scores", y_min=0, y_max=27,
                points=[Point(date(2026, 1, 5), 18), Point(date(2026, 1, 12), 12), Point(date(2026, 1, 19), 6)],
                bands=[Band(0, 4, "Minimal", 0), Band(5, 27, "Not minimal", 3)], chart_id="c1")
    base.update(kw)
    return LineChart(**base)


def test_svg_is_accessible_and_escaped():
    svg = line_chart(chart())
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="c1-t c1-d"' in svg
    assert "PHQ-9 &lt;total&gt;" in svg and "<total>" not in svg
    assert svg.count("<circle") == 3 and "Minimal (0–4)" in svg and "<script" not in svg


def test_points_scale_to_axis():
    svg = line_chart(chart(points=[Point(date(2026, 1, 5), 27), Point(date(2026, 1, 6), 0)]))
    assert 'cy="14.0"' in svg and 'cy="184.0"' in svg  # top of the plot, bottom of the plot


def test_bars_strip_and_single_point():
    svg = line_chart(chart(points=[Point(date(2026, 1, 5), 9)], bars=[Bar(date(2026, 1, 5), 6, "6 h")],
                           bars_label="Attended hours"))
    assert "Attended hours" in svg and svg.count("<circle") == 1 and "<path" not in svg
