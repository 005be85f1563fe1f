"""Sphinx configuration of refnet's documentation site.

Build it with ``python -m sphinx -W -b html docs docs/_build/html`` (the ``docs`` extra installs
what it needs).  The Markdown pages of ``docs/`` are the user guide as they are (MyST); the API
reference, the gallery of activations and the tolerances page are generated at build time by
``docs/_ext/refnet_docs.py`` from the modules' ``__all__`` and the registry; the notebook in
``docs/examples/`` is executed on every build, and a cell that raises fails it.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
# the checkout's own refnet, ahead of an installed copy, so the pages say what this tree does
sys.path[:0] = [os.path.dirname(_HERE), os.path.join(_HERE, "_ext")]

import refnet  # noqa: E402

project = "refnet"
author = "the refnet developers"
copyright = "2026, the refnet developers"
release = version = refnet.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_nb",  # MyST Markdown and notebooks (it includes myst-parser)
    "sphinx-mathjax-offline",  # MathJax served from the site itself: no network needed to read it
    "refnet_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "examples/*.py", "schema", "**.ipynb_checkpoints", "img/*.md"]
templates_path = ["_templates"]

# MyST: $...$ and $$...$$ math, and anchors for the pages' headings (the guide links to them)
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # generated pages (derivatives.md) start at level 2 tables

# notebooks: run on every build; an error in a cell fails the build
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 300
nb_merge_streams = True

# API reference
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters section says the types
autodoc_docstring_signature = False  # a docstring's first line is its formula, not a signature
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
# every public docstring says what it takes and returns, and has an example that runs (the
# examples run as doctests in the test suite: pytest --doctest-modules)
numpydoc_validation_checks = {"PR01", "RT01", "EX01", "SS01", "GL08"}
numpydoc_validation_exclude = {
    r"\.__init__$",
    r"\.__repr__$",
    r"\._repr_html_$",
}

html_theme = "pydata_sphinx_theme"
html_title = f"refnet {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "header_links_before_dropdown": 4,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# the guide's pages have no sections of their own to navigate: no left sidebar, and their wide
# tables get its width
html_sidebars = {page: [] for page in (
    "index", "checking", "from-torch-and-jax", "derivatives", "errata", "training", "vectors",
    "json", "performance", "frameworks", "contributing", "examples/seed-notebook")}
html_static_path = ["_static"]
html_css_files = ["refnet.css"]
