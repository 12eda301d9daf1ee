import datetime as dt

from trellis.referrals.kpi import pipeline_kpi

T = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)


def test_pipeline_kpi_hand_computed():
    rows = [
        ("admitted", T, T + dt.timedelta(days=4)),
        ("admitted", T, T + dt.timedelta(days=10)),
        ("admitted", T, T + dt.timedelta(days=6)),
        ("declined", T, T + dt.timedelta(days=2)),
        ("screening", T, None),
    ]
    kpi = pipeline_kpi(rows)
    assert (kpi.referrals, kpi.admitted, kpi.closed_lost, kpi.open) == (5, 3, 1, 1)
    assert kpi.median_days_to_admission == 6.0
    assert kpi.conversion_pct == 75.0


def test_pipeline_kpi_empty():
    kpi = pipeline_kpi([])
    assert kpi.median_days_to_admission is None and kpi.conversion_pct is None
