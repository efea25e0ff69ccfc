"""The benchmarks' ``--quick`` modes, run by CI (the full sizes are not: see benchmarks/README.md).

Without the optional ``bench`` extra (NGSolve) the NGSolve column is skipped with its reason;
the mqm_fem column must still reproduce the analytic values at the smallest size.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.special import jn_zeros

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name):
    if str(BENCHMARKS) not in sys.path:  # the scripts import their sibling machine.py
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_london_sphere_quick(tmp_path):
    """≈50k Nédélec unknowns: flat AMS iteration count, moment within 0.1 % of London's sphere."""
    (row,) = _load("london_sphere").main(["--quick", "--no-ngsolve", "--workdir", str(tmp_path)])
    assert 40_000 < row["mqm_unknowns"] < 60_000
    assert row["mqm_iterations"] <= 15
    assert abs(row["mqm_error"]) < 1e-3


@pytest.mark.slow
def test_eigen_disk_quick():
    """≈50k P2 unknowns, Dirichlet unit disk: the 6 lowest ε against the Bessel zeros."""
    (row,) = _load("eigen_disk").main(["--quick", "--no-ngsolve"])
    mq = row["mqm"]
    assert 40_000 < mq["ndofs"] < 60_000
    zeros = np.sort(np.concatenate([jn_zeros(0, 2), jn_zeros(1, 2), jn_zeros(1, 2),
                                    jn_zeros(2, 1), jn_zeros(2, 1)]))[:6]
    eps = np.asarray(mq["eigenvalues"])
    assert np.all(np.abs(eps / zeros**2 - 1) < 1e-4)
    assert row["ngsolve"]["error"]  # skipped with a reason, not silently


def test_machine_info_names_the_stack():
    info = _load("machine").machine_info()
    assert info["numpy"] != "absent" and info["scikit-fem"] != "absent"
    assert info["cores"] >= 1 and info["python"].count(".") == 2
