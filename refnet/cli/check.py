"""``refnet check FUNCTION GRADIENT``: check a user's gradient from the shell.

FUNCTION and GRADIENT are ``MODULE:NAME`` (a module importable from the current folder or the
Python path, as ``python -m`` would find it) or ``PATH.py:NAME`` (a file, e.g.
``./mymod.py:cost`` or ``path/to/mymod.py:cost``; its folder is importable while it runs).
The point is random (``--shape 3,4 --seed 0``, standard normal) or read from ``--point FILE.npy``
(an array, or an ``.npz`` whose arrays make a dict).  Exit 0 verified, 1 a mismatch (also when
the function raises, returns the wrong shape or NaN: the report says what), 2 bad usage, 4
inconclusive (no element failed, some could not be decided; ``--accept-inconclusive`` makes
that 0, as ``accept_inconclusive=True`` does in Python).

``--vjp``: FUNCTION is a vector function f(x) and GRADIENT its vector-Jacobian product
``vjp(x, u)`` (``refnet.check.check_vjp``, random Gaussian cotangents); with ``--fast``, one
random projection per cotangent, localised to the wrong elements where it fails
(``check_vjp(fast=True)``).  ``--sample N``: judge N
random coordinates and a few random directions instead of every coordinate (for large x).
``--dtype float32``: the point, and every point f and the gradient are called at, in float32
(the check then follows float32 rounding).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import re
import sys
from pathlib import Path

import numpy as np

from refnet._json import schema_path
from refnet.cli import (
    EXIT_INCONCLUSIVE,
    EXIT_MISMATCH,
    EXIT_OK,
    UsageError,
    json_text,
    nonneg_int,
)

MAX_ELEMENTS = 10**6


def _shape(text: str) -> tuple:
    """``3,4`` or ``3x4``: every size a whole number of at least 1, none left out."""
    parts = [s.strip() for s in re.split(r"[,x]", text)]
    if all(re.fullmatch(r"[-+]?\d+", p) for p in parts) and any(p.startswith("-") for p in parts):
        raise argparse.ArgumentTypeError(f"{text!r}: every size must be at least 1")
    if not all(p.isdigit() for p in parts):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected sizes separated by commas, e.g. 3,4") from None
    shape = tuple(int(p) for p in parts)
    if any(s < 1 for s in shape):
        raise argparse.ArgumentTypeError(f"{text!r}: every size must be at least 1")
    if int(np.prod(shape)) > MAX_ELEMENTS:
        raise argparse.ArgumentTypeError(f"{text!r}: more than a million elements")
    return shape


def configure(parser) -> None:
    parser.add_argument("function", metavar="FUNCTION",
                        help="the scalar function f(x): MODULE:NAME or PATH.py:NAME")
    parser.add_argument("gradient", metavar="GRADIENT",
                        help="the gradient to check, grad(x) with the structure of x: "
                             "MODULE:NAME or PATH.py:NAME")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--shape", type=_shape, help="a random point of this shape, e.g. 3,4")
    where.add_argument("--point", metavar="FILE", help="the point: a .npy array or a .npz dict")
    parser.add_argument("--seed", type=nonneg_int, default=0, help="seed of the random point (0)")
    parser.add_argument("--json", action="store_true",
                        help=f"print the report as JSON; its schema: "
                        f"{schema_path('check')}")
    parser.add_argument("--no-complex-step", action="store_true",
                        help="do not try the complex step")
    parser.add_argument("--vjp", action="store_true",
                        help="FUNCTION is a vector function f(x) and GRADIENT its vector-Jacobian "
                             "product vjp(x, u), checked with random cotangents u")
    parser.add_argument("--fast", action="store_true",
                        help="with --vjp: one random projection per cotangent (a few calls of "
                             "f), the wrong elements localised where it fails")
    parser.add_argument("--sample", type=_positive, metavar="N",
                        help="judge N random coordinates and 4 random directions, not every "
                             "coordinate (for large x)")
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                        help="the precision f and the gradient are called in (float64)")
    parser.add_argument("--accept-inconclusive", action="store_true",
                        help="exit 0, not 4, when no element failed but some could not be "
                             "decided (their error bars too wide)")


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number >= 1")
    return n


def _in_dtype(fn, dtype):
    """``fn`` called with its first argument (an array or a dict of arrays) cast to ``dtype``;
    a complex argument is refused (the complex step is taken in float64 only)."""
    if dtype == np.float64:
        return fn

    def cast(a):
        a = np.asarray(a)
        if a.dtype.kind == "c":
            raise TypeError(f"the complex step is taken in float64 only, not {dtype.__name__}")
        return a.astype(dtype)

    def wrapped(x, *rest):
        x = {k: cast(v) for k, v in x.items()} if isinstance(x, dict) else cast(x)
        return fn(x, *rest)
    return wrapped


def _is_path(module: str) -> bool:
    return module.endswith(".py") or "/" in module or os.sep in module


def _load_file(module: str, loaded: dict):
    path = Path(module)
    if not path.is_file():
        raise UsageError(f"no file {module!r}")
    key = str(path.resolve())
    if key not in loaded:
        name = f"refnet_user_{len(loaded)}_{path.stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise UsageError(f"cannot import {module!r}: not a Python file")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod  # dataclasses and pickling look the module up by name
        sys.path.insert(0, str(path.resolve().parent))  # its siblings import, as for a script
        try:
            spec.loader.exec_module(mod)
        except Exception as exc:
            del sys.modules[name]
            raise UsageError(f"cannot import {module!r}: {type(exc).__name__}: {exc}") from None
        loaded[key] = mod
    return loaded[key]


def _resolve(spec: str, loaded: dict):
    module, sep, name = spec.rpartition(":")
    if not sep or not module or not name:
        raise UsageError(f"{spec!r}: expected MODULE:FUNCTION or PATH.py:FUNCTION")
    if _is_path(module):
        mod = _load_file(module, loaded)
    else:
        try:
            mod = importlib.import_module(module)
        except Exception as exc:
            raise UsageError(f"cannot import {module!r}: {type(exc).__name__}: {exc}") from None
    obj = mod
    for part in name.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"module {module!r} has no attribute {name!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{spec!r} is not callable")
    return obj


def _point(args):
    if args.shape is not None:
        return np.random.default_rng(args.seed).standard_normal(args.shape)
    try:
        loaded = np.load(args.point, allow_pickle=False)
    except FileNotFoundError:
        raise UsageError(f"--point {args.point!r}: no such file") from None
    except (OSError, ValueError) as exc:
        # NumPy reads a file that is neither .npy nor .npz as a pickle, and says so
        why = "not a .npy or .npz file (numpy.save or numpy.savez writes one)" \
            if "pickle" in str(exc) else str(exc)
        raise UsageError(f"--point {args.point!r}: {why}") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            x = {k: loaded[k] for k in loaded.files}
    else:
        x = loaded
    try:
        if isinstance(x, dict):
            x = {k: np.asarray(v, dtype=np.float64) for k, v in x.items()}
        else:
            x = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"--point {args.point!r}: not a real array ({exc})") from None
    return x


@contextlib.contextmanager
def _importable_from_cwd():
    """The current folder first on ``sys.path`` (as ``python -m`` has it; a console script does
    not), restored afterwards."""
    saved = list(sys.path)
    sys.path.insert(0, os.getcwd())
    try:
        yield
    finally:
        sys.path[:] = saved


def run(args) -> int:
    if args.vjp and args.sample is not None:
        raise UsageError("--sample applies to a gradient; --vjp checks every coordinate")
    if args.fast and not args.vjp:
        raise UsageError("--fast applies to --vjp (a gradient: --sample N)")
    dtype = np.float32 if args.dtype == "float32" else np.float64
    x = _point(args)
    x = {k: v.astype(dtype) for k, v in x.items()} if isinstance(x, dict) else x.astype(dtype)
    with _importable_from_cwd():
        loaded: dict = {}
        f = _in_dtype(_resolve(args.function, loaded), dtype)
        grad = _in_dtype(_resolve(args.gradient, loaded), dtype)
        from refnet.check import check_gradient, check_vjp

        common = {"seed": args.seed, "complex_step": False if args.no_complex_step else "auto",
                  "accept_inconclusive": args.accept_inconclusive,
                  # a bar counting the calls of f, on a terminal only (a long check is not silent)
                  "progress": bool(getattr(sys.stderr, "isatty", bool)())}
        if args.vjp:
            report = check_vjp(f, grad, x, fast=args.fast, **common)
        else:
            report = check_gradient(f, grad, x, sample=args.sample, **common)
    if args.json:
        print(json_text(report.to_dict(), indent=2))
    else:
        print(report)
    return exit_code(report)


def exit_code(report) -> int:
    """0 where the report is ok, 4 where it is INCONCLUSIVE and was not accepted, else 1 (a
    mismatch, or f or the gradient misbehaved)."""
    if report.ok:
        return EXIT_OK
    return EXIT_INCONCLUSIVE if report.verdict == "INCONCLUSIVE" else EXIT_MISMATCH
