"""Sphinx configuration of the currentprint documentation site.

Build it with the ``docs`` extra installed::

    pip install ".[docs]"
    sphinx-build -W -b html docs docs/_build/html

The pages are the Markdown files of this folder (MyST); the API reference
(``api.md``) is generated from the numpydoc docstrings with autosummary.
"""

from __future__ import annotations

import importlib.metadata

project = "currentprint"
author = "currentprint developers"
copyright = "currentprint developers"
# one version source: the installed package's metadata (pyproject reads it
# from currentprint/_version.py)
release = importlib.metadata.version("currentprint")
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "generated/*.md", "Thumbs.db", ".DS_Store"]
templates_path = ["_templates"]

# MyST: $...$ maths, ::: fences, and anchors for the pages' section links
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# autosummary writes one page per public name under generated/
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"          # numpydoc's Parameters sections carry the types
# optional extras: the reference builds without them
autodoc_mock_imports = ["matplotlib", "sklearn", "pandas", "tqdm", "soundfile", "dask", "pyarrow"]

numpydoc_show_class_members = False   # autosummary lists members; avoids duplicate stubs
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

intersphinx_mapping = {}              # no network at build time

html_theme = "pydata_sphinx_theme"
html_title = f"currentprint {release}"
html_theme_options = {
    "navigation_depth": 2,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_show_sourcelink = False


def _escape_bars(app, what, name, obj, options, lines):
    """The column docs (``COLUMN_DOCS``) write magnitudes as ``|x|``, which reST would
    read as substitutions: escape the bars in CycleTable's attribute docs."""
    if name.startswith("currentprint.CycleTable."):
        lines[:] = [line.replace("|", "\\|") for line in lines]


def setup(app):
    app.connect("autodoc-process-docstring", _escape_bars)
