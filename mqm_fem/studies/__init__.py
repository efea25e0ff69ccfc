"""Parameter studies: solve specifications (:class:`Task`) run over grids of parameters with
:func:`sweep` — locally in worker processes or on a Dask cluster, into a store that never loses
a finished point. ``mqm_fem.quantum.phase_boundary`` runs through the same machinery."""

from .spec import load_spec
from .sweep import SweepResult, sweep, sweep_spec
from .task import KINDS, Task, evaluate

__all__ = ["KINDS", "SweepResult", "Task", "evaluate", "load_spec", "sweep", "sweep_spec"]
