"""The documentation site's generated parts, checked without building it (CI builds it).

The site itself (`python -m sphinx -W ...`, README "Documentation") fails on any warning,
numpydoc's validation of every public docstring included; these tests catch the same gaps in
the ordinary test run, where they are cheap.
"""

import importlib
import importlib.util
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _load(ROOT / "docs" / "_ext" / "refnet_docs.py", "refnet_docs")


def test_ci_builds_the_readmes_docs_command():
    readme = (ROOT / "README.md").read_text().splitlines()
    command = next(line for line in readme if line.startswith("python3 -m venv .venv && ")
                   and '".[docs]"' in line)
    assert "-W" in command.split()
    assert command + " || status=1" in (ROOT / ".ci" / "run").read_text().splitlines()


@pytest.mark.parametrize("module", [m for m, _, _ in docs.API_MODULES])
def test_every_public_function_says_what_it_takes_and_shows_an_example(module):
    """What numpydoc's validation (PR01, RT01, EX01) asks in the site build: every public
    function and class of the API pages has a Parameters section where it takes any, a
    Returns section where it is a function, and Examples."""
    mod = importlib.import_module(module)
    gaps = []
    for name in mod.__all__:
        obj = getattr(mod, name)
        if not callable(obj):
            continue
        doc = inspect.getdoc(obj) or ""
        sections = {s for s in ("Parameters", "Returns", "Examples")
                    if f"\n{s}\n{'-' * len(s)}\n" in f"\n{doc}\n"}
        try:
            takes = bool(inspect.signature(obj).parameters)
        except (TypeError, ValueError):
            takes = False
        wanted = {"Examples"} | ({"Parameters"} if takes else set()) | (
            set() if inspect.isclass(obj) else {"Returns"})
        if wanted - sections:
            gaps.append(f"{name}: no {', '.join(sorted(wanted - sections))}")
    assert not gaps, gaps


def test_every_registry_function_has_its_mpmath_example():
    """tools/activation_examples.py --check: each function of every activation ends with its
    example, so a new activation's missing example fails here, not only in the site build."""
    tool = _load(ROOT / "tools" / "activation_examples.py", "activation_examples")
    for path, examples in tool._targets().items():
        assert tool.insert(path, examples, write=False) == [], path


def test_every_tolerance_has_its_reason():
    """The tolerances page lists every constant of refnet/tolerances.py with the comment
    written beside it: a constant without a reason fails."""
    from refnet import tolerances

    source = Path(tolerances.__file__).read_text()
    entries = docs.tolerance_entries(source)
    names = [n for _, n, _ in entries]
    public = [n for n in vars(tolerances) if n.isupper()]
    assert sorted(names) == sorted(public)
    assert [n for _, n, reason in entries if len(reason) < 10] == []


def test_a_gallery_page_comes_from_the_registry():
    """A gallery page is built from the registry entry, its docstrings and the measured
    accuracy: leaky_relu's page has its derivative's formula, its parameter, its kink
    convention and the frameworks' rows."""
    from refnet.activations import ACTIVATIONS, leaky_relu_derivative

    page = docs.gallery_page("leaky_relu", "img/leaky_relu.png")
    assert inspect.getdoc(leaky_relu_derivative).split("\n")[0] in page
    assert "{'alpha': 0.01}" in page
    assert "| 0 | 0.01 | 0 |" in page  # f'(0) = alpha, f''(0) = 0
    assert "| leaky_relu | 0 | 0.01 | 1 | 0.01 | 1 | 0.01 |" in page  # frameworks.md's kink row
    assert "![" in page and "img/leaky_relu.png" in page
    assert "There is no output form" not in page
    assert ACTIVATIONS["gelu"].derivative_from_output is None
    assert "no output form" in docs.gallery_page("gelu", "img/gelu.png")


def test_bars_are_escaped_outside_literals():
    assert docs.escape_bars("e^-|z| and ``abs(|z|)`` and :math:`|x|`") == \
        r"e^-\|z\| and ``abs(|z|)`` and :math:`|x|`"
    assert docs.escape_bars("|(E t)_j| exceeds") == r"\|(E t)_j\| exceeds"
    assert docs.escape_bars("| a | b |") == "| a | b |"  # a grid table's row
