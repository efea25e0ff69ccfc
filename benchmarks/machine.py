"""What a benchmark ran on: library versions, CPU model, cores and RAM (printed with every
table so results can be compared across machines)."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def machine_info() -> dict:
    """Versions of Python and the numerical stack (``"absent"`` for optional packages that are
    not installed), the CPU model, number of cores and total RAM."""
    out = {"python": platform.python_version()}
    for package in ("numpy", "scipy", "scikit-fem", "pyamg", "pymetis", "ngsolve",
                    "superscreen"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = "absent"
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    out.update(cpu=cpu, cores=os.cpu_count())
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        out["ram"] = f"{kb / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return out
