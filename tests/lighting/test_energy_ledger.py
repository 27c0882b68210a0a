"""The energy ledger: meter deltas, estimates split at local midnight (across a clock change), kept on disk."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from edge.lighting.energy import EnergyLedger
from edge.lighting.persist import JsonDocument

UTC = dt.UTC


def ledger(tmp_path: Path) -> EnergyLedger:
    return EnergyLedger(JsonDocument(tmp_path / "energy.json"), "Europe/London", keep_days=10)


def test_meter_deltas_count_and_a_reset_meter_counts_from_zero(tmp_path: Path) -> None:
    e = ledger(tmp_path)
    t = dt.datetime(2026, 1, 10, 20, 0, tzinfo=UTC)
    e.meter("sl-1", "z", 1000.0, t)  # first reading: a baseline only
    e.meter("sl-1", "z", 1060.0, t + dt.timedelta(hours=1))
    e.meter("sl-1", "z", 15.0, t + dt.timedelta(hours=2))  # the node was replaced: its meter restarted
    assert e.kwh("z", "2026-01-10") == pytest.approx((0.075, 0.0))


def test_estimates_are_split_at_local_midnight_on_the_night_the_clocks_go_forward(tmp_path: Path) -> None:
    e = ledger(tmp_path)
    # 28 March 2026 22:00 GMT to 29 March 02:00 BST: local midnight is 00:00 GMT; the night has 3 real hours
    start = dt.datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    e.power("g1", "z", 100.0, start)
    e.tick(dt.datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    assert e.kwh("z", "2026-03-28") == pytest.approx((0.0, 0.2))  # 22:00-24:00 GMT
    assert e.kwh("z", "2026-03-29") == pytest.approx((0.0, 0.1))  # 00:00-01:00 GMT (02:00 BST)
    assert e.estimated_wh["g1"] == pytest.approx(300.0)
    e.power("g1", "z", 0.0, dt.datetime(2026, 3, 29, 2, 0, tzinfo=UTC))  # off: the hour at 100 W still counts
    e.tick(dt.datetime(2026, 3, 29, 9, 0, tzinfo=UTC))
    assert e.kwh("z", "2026-03-29") == pytest.approx((0.0, 0.2))


def test_the_ledger_survives_a_restart_and_forgets_old_days(tmp_path: Path) -> None:
    e = ledger(tmp_path)
    t = dt.datetime(2026, 6, 1, 21, 0, tzinfo=UTC)
    e.power("g1", "z", 50.0, t)
    e.tick(t + dt.timedelta(hours=2))
    e.meter("sl-1", "z", 10.0, t)
    e.save()
    again = ledger(tmp_path)
    assert again.kwh("z", "2026-06-01") == pytest.approx((0.0, 0.1))  # 21:00-22:00 UTC is 22:00-23:00 BST
    assert again.kwh("z", "2026-06-02") == pytest.approx((0.0, 0.0))
    assert again.meters == {"sl-1": 10.0}
    again.prune(t + dt.timedelta(days=30))
    assert again.kwh("z", "2026-06-01") == (0.0, 0.0)


def test_a_damaged_ledger_file_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "energy.json").write_text("{not json")
    e = ledger(tmp_path)
    assert e.days == {} and (tmp_path / "energy.json.bad").exists()
