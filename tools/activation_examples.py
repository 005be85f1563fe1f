"""Write the Examples section of every registry activation's functions, from mpmath.

Each function of ``refnet/activations.py`` (f, f', f'', the output form) and each forward of
``refnet/twin/activations.py`` ends its docstring with an example at z = -2.5, 0.5, 2.0 whose
printed values are mpmath's correctly rounded ones, as NumPy prints them (8 digits); the test
suite runs them as doctests (``pytest --doctest-modules``), so every example checks refnet
against mpmath.  A new activation's functions have none until this is run:

    PYTHONPATH=. python tools/activation_examples.py          # insert the missing sections
    PYTHONPATH=. python tools/activation_examples.py --check  # exit 1 if one is missing

The Parameters, Returns and Raises sections are not written here: they are the same for every
activation and are added at import time (``_document`` in each module).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import numpy as np

from refnet.activations import ACTIVATIONS
from refnet.oracles.mpmath import mp_value

Z = (-2.5, 0.5, 2.0)  # no registry kink is here; each value is exactly representable
ROOT = Path(__file__).resolve().parents[1]


def _repr(values) -> str:
    """NumPy's own printing (8 digits) of mpmath's values, so the example reads as a session
    would print it; the doctest's NUMBER flag forgives a last digit rounded the other way."""
    return repr(np.asarray(values, dtype=np.float64))


def numpy_example(name: str, role: str, fn) -> list[str]:
    act = ACTIVATIONS[name]
    p = dict(act.params)
    z = np.array(Z)
    order = {"forward": 0, "derivative": 1, "second_derivative": 2,
             "derivative_from_output": 1}[role]
    expected = mp_value(name, z, order, **p)
    lines = [f">>> from refnet.activations import {fn.__name__}"]
    if role == "derivative_from_output":
        lines += [f">>> from refnet.activations import {act.forward.__name__}",
                  f">>> s = {act.forward.__name__}(np.array([{', '.join(map(str, Z))}]))",
                  f">>> {fn.__name__}(s)"]
    else:
        lines.append(f">>> {fn.__name__}(np.array([{', '.join(map(str, Z))}]))")
    return lines + [_repr(expected)]


def twin_example(name: str, fn) -> list[str]:
    act = ACTIVATIONS[name]
    expected = mp_value(name, np.array(Z), 0, **dict(act.params))
    text = _repr(expected).replace("array(", "Array(")[:-1] + ", dtype=float64)"
    return [">>> import jax.numpy as jnp",
            f">>> from refnet.twin.activations import {fn.__name__}",
            f">>> {fn.__name__}(jnp.array([{', '.join(map(str, Z))}]))", text]


def _targets():
    out = {ROOT / "refnet/activations.py": {}, ROOT / "refnet/twin/activations.py": {}}
    for name, act in ACTIVATIONS.items():
        for role in ("forward", "derivative", "second_derivative", "derivative_from_output"):
            fn = getattr(act, role)
            if fn is not None:
                out[ROOT / "refnet/activations.py"][fn.__name__] = numpy_example(name, role, fn)
        out[ROOT / "refnet/twin/activations.py"][act.forward.__name__] = twin_example(
            name, act.forward)
    return out


def insert(path: Path, examples: dict, write: bool) -> list[str]:
    """The functions of ``path`` lacking their example; with ``write``, add them."""
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    missing = []
    nodes = [n for n in ast.parse(source).body
             if isinstance(n, ast.FunctionDef) and n.name in examples]
    for node in sorted(nodes, key=lambda n: -n.lineno):
        doc = ast.get_docstring(node, clean=False) or ""
        if "Examples\n" in doc:
            continue
        missing.append(node.name)
        end = node.body[0].end_lineno - 1  # the line that closes the docstring
        closing = lines[end]
        indent = " " * (len(closing) - len(closing.lstrip()))
        block = ["", "Examples", "--------", *examples[node.name]]
        text = "".join(f"{indent}{b}\n" if b else "\n" for b in block)
        if closing.strip() == '"""':
            lines[end:end] = [text]
        else:  # a one-line docstring: """f(z) = z."""
            body = closing.rstrip()[: -3]
            lines[end] = f"{body}\n{text}{indent}\"\"\"\n"
    if write and missing:
        path.write_text("".join(lines))
    return missing


def main(argv) -> int:
    check = "--check" in argv
    missing = []
    for path, examples in _targets().items():
        missing += [f"{path.name}:{n}" for n in insert(path, examples, write=not check)]
    if missing:
        print(("missing: " if check else "written: ") + ", ".join(sorted(missing)))
    return 1 if check and missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
