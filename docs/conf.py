"""Sphinx configuration of the slosim documentation.

Build with ``make docs`` (warnings are errors). The API pages are generated
by autosummary into ``api/generated/`` at build time; that folder is not
kept in git.
"""

import slosim

project = "slosim"
author = "the slosim developers"
copyright = "the slosim developers"
release = slosim.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]

templates_path = ["_templates"]
exclude_patterns = ["_build"]
root_doc = "index"

# The public API is what ``slosim.__all__`` exports; api.rst lists it and
# autosummary writes one page per object.
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
# Node.kind is a plain class attribute that Gate overrides with a property:
# inheriting docstrings would document Gate.kind with str's docstring.
autodoc_inherit_docstrings = False
add_module_names = False

# numpydoc renders the Parameters / Attributes / Examples sections; class
# members are documented by the class template, not by numpydoc's tables.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = f"slosim {release}"
html_theme_options = {
    "description": "SLO engineering by simulation",
    "fixed_sidebar": True,
}
