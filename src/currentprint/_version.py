"""The one source of the package version (read by the build, see pyproject ``[tool.setuptools.dynamic]``)."""

__version__ = "0.2.0.dev0"
