"""Sphinx configuration of asynclocks' documentation (the pages are Markdown, read by myst-parser).

Build: ``python -m sphinx -W --keep-going -b html docs docs/_build/html`` in an
environment where asynclocks is installed (the API reference is generated from
the installed package's docstrings) with ``pip install ".[docs]"``.
"""

import asynclocks
import sphinx.util.inspect

project = "asynclocks"
author = "asynclocks contributors"
copyright = "asynclocks contributors"
release = version = asynclocks.__version__

extensions = ["myst_parser", "sphinx.ext.autodoc"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_default_options = {"show-inheritance": True}
autodoc_typehints_format = "fully-qualified"  # "Bases: asyncio.locks.Lock", not "Lock"
html_theme = "alabaster"
html_title = f"asynclocks {release}"


# asynclocks' methods are function-like descriptors of the extension (so that
# inspect.iscoroutinefunction and inspect.signature answer as for the stdlib's
# methods); autodoc would list them as attributes, without signatures. Have it
# document them as methods.
# (their type: asynclocks._core.coroutine_method, when the extension is in use)
_FUNCTION_LIKE = type(vars(asynclocks.Lock)["acquire"])


def _function_like(obj: object) -> bool:
    return asynclocks.IMPLEMENTATION == "c" and isinstance(obj, _FUNCTION_LIKE)


_isattributedescriptor = sphinx.util.inspect.isattributedescriptor
sphinx.util.inspect.isattributedescriptor = lambda obj: (
    not _function_like(obj) and _isattributedescriptor(obj)
)


def _drop_pytest_marker(app, what, name, obj, options, lines):
    """Leave out the package docstring's paragraph meant for pytest."""
    text = "\n".join(lines)
    if "PYTEST_DONT_REWRITE" not in text:
        return
    paragraphs = [p for p in text.split("\n\n") if "PYTEST_DONT_REWRITE" not in p]
    lines[:] = "\n\n".join(paragraphs).split("\n")


def setup(app):
    app.connect("autodoc-process-docstring", _drop_pytest_marker)
