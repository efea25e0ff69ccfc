"""The sweep example (examples/phase_diagram_sweep.py): T–B phase diagrams of a ring and a disk,
each ≥ 200 points in 2 worker processes, checked against the analytic Little–Parks and
surface-superconductivity values (docs/sweeps.md, docs/theory.md §2)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from mqm_fem.quantum.nucleation import THETA0
from mqm_fem.units import PHI0


@pytest.mark.slow
def test_example_phase_diagram_sweep(tmp_path, example):
    """≈ 15 s on 2 cores: 240 ring + 200 disk points, every one written once, and the physics.

    Ring (R = 1 µm, w = 0.1 µm, ξ₀ = 250 nm): T_c maxima near integer flux with the
    Little–Parks period Φ₀/(πR²) (measured −0.2 %, the O(w²/R²) shift of the branch minima),
    cusp depth (ξ₀/R)²/4 at half a flux quantum, ε₀ within 0.01 of min_n (n − Φ/Φ₀)²/R² +
    b²w²/12. Disk (R = 1 µm): ε₀ < Θ₀b < b at every field (the boundary lies above the flat-
    surface B_c3 line and hence above the bulk B_c2(T) line), and ε₀ = b²R²/8 near T_c0.
    """
    module = example("phase_diagram_sweep")
    out = module.main(tmp_path, workers=2)
    ring, disk = out["ring"], out["disk"]
    assert len(ring.records) >= 200 and len(disk.records) >= 200
    assert not ring.failed and not disk.failed
    assert ring.report.ok and disk.report.ok, (str(ring.report), str(disk.report))
    assert out["png"].stat().st_size > 10_000
    for result in (ring, disk):
        with open(result.csv_path, newline="") as f:
            rows = list(csv.DictReader(f))
        assert sorted(int(r["index"]) for r in rows) == list(range(len(result.records)))
        assert len(list((result.directory / "points").glob("*.json"))) == len(result.records)

    lp = out["little_parks"]
    period = PHI0 / (np.pi * 1e-12)  # Φ₀/(πR²), R = 1 µm
    assert lp["period"] == pytest.approx(period, rel=1e-12)
    assert lp["fitted_period"] == pytest.approx(period, rel=5e-3)
    assert len(lp["maxima"]) == 4
    assert np.all(np.abs(lp["maxima_flux"] - np.arange(1, 5)) < 5e-3 * np.arange(1, 5))
    assert lp["cusp_depth"] == pytest.approx(0.25 * 0.25**2, rel=0.05)
    assert lp["thin_ring_max_error"] < 0.01

    field, eps0, tc = out["disk_curve"]
    b = 2 * np.pi * field * 1e-12 / PHI0
    inside = b > 0
    assert np.all(eps0[inside] < THETA0 * b[inside])  # above the flat-surface B_c3 line
    assert np.all(tc[inside & (tc > 0)] > 1 - field[inside & (tc > 0)] / out["surface"]["bc2"])
    assert out["surface"]["max_eps_over_b"] < THETA0
    assert out["surface"]["low_field_parabola_error"] < 0.01
    # above the nucleation field at T = 0 the disk is not superconducting (NaN, never negative)
    assert np.isnan(tc[-1]) and np.all(tc[~np.isnan(tc)] > 0)

    # rerun: the stores are complete, nothing is solved again (each point still once)
    again = module.run_sweeps(tmp_path, workers=2)
    for before, after in zip((ring, disk), again, strict=True):
        assert [r["outputs"]["eps0"] for r in after.records] == \
            [r["outputs"]["eps0"] for r in before.records]
        # read back from the point files: the same worker and solve time as the first run
        assert [(r["worker"], r["seconds"]) for r in after.records] == \
            [(r["worker"], r["seconds"]) for r in before.records]
        assert after.report.ok
