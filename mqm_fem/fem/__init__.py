"""Stage 3 of the data flow: weak forms and their assembly.

* :mod:`~mqm_fem.fem.forms` — the weak forms of every equation mqm_fem solves, as scikit-fem
  forms at module level that read like the equations;
* :mod:`~mqm_fem.fem.nedelec` — closed-form lowest-order Nédélec assembly on tetrahedra and the
  discrete gradient / interpolation operators;
* :mod:`~mqm_fem.fem.sparse_build` — CSR matrices and edge tables from element data by two
  counting sorts;
* :mod:`~mqm_fem.fem.projection` — L2 projections of element fields onto vertices, cell means
  and exact integrals of piecewise-linear fields (the post-processing all solvers share).
"""
