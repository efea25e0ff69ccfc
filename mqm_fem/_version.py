"""The package version, in one place: read by ``mqm_fem.__version__``, by the build
(``pyproject.toml``: ``[tool.setuptools.dynamic]``) and by the provenance of every file written."""

__version__ = "0.2.0"
