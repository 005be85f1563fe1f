"""``refnet check MODULE:FUNCTION MODULE:GRADIENT``: check a user's gradient from the shell.

The point is random (``--shape 3,4 --seed 0``, standard normal) or read from ``--point FILE.npy``
(an array, or an ``.npz`` whose arrays make a dict).  Exit 0 verified, 1 a mismatch (also when
the function raises, returns the wrong shape or NaN: the report says what), 2 bad usage.
"""

from __future__ import annotations

import importlib
import json
import sys

import numpy as np

from refnet.cli import UsageError


def configure(parser) -> None:
    parser.add_argument("function", metavar="MODULE:FUNCTION",
                        help="the scalar function f(x) to differentiate")
    parser.add_argument("gradient", metavar="MODULE:GRADIENT",
                        help="the gradient to check, grad(x) with the structure of x")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--shape", help="a random point of this shape, e.g. 3,4")
    where.add_argument("--point", metavar="FILE", help="the point: a .npy array or a .npz dict")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random point (0)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--no-complex-step", action="store_true",
                        help="do not try the complex step")


def _resolve(spec: str):
    module, sep, name = spec.partition(":")
    if not sep or not module or not name:
        raise UsageError(f"{spec!r}: expected MODULE:FUNCTION")
    try:
        mod = importlib.import_module(module)
    except Exception as exc:  # ImportError, or the module itself failing to import
        raise UsageError(f"cannot import {module!r}: {type(exc).__name__}: {exc}") from None
    obj = mod
    for part in name.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"module {module!r} has no attribute {name!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{spec!r} is not callable")
    return obj


def _shape(text: str) -> tuple:
    try:
        shape = tuple(int(s) for s in text.replace("x", ",").split(",") if s.strip() != "")
    except ValueError:
        raise UsageError(f"--shape {text!r}: expected integers separated by commas") from None
    if any(s < 0 for s in shape):
        raise UsageError(f"--shape {text!r}: sizes must be >= 0")
    if int(np.prod(shape)) > 10**6:
        raise UsageError(f"--shape {text!r}: more than a million elements")
    return shape


def _point(args):
    if args.shape is not None:
        return np.random.default_rng(args.seed).standard_normal(_shape(args.shape))
    try:
        loaded = np.load(args.point, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UsageError(f"--point {args.point!r}: {exc}") from None
    if isinstance(loaded, np.lib.npyio.NpzFile):
        with loaded:
            x = {k: np.asarray(loaded[k], dtype=np.float64) for k in loaded.files}
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


def run(args) -> int:
    from refnet.check import check_gradient

    f = _resolve(args.function)
    grad = _resolve(args.gradient)
    x = _point(args)
    report = check_gradient(f, grad, x, complex_step=False if args.no_complex_step else "auto",
                            seed=args.seed)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(report)
    return 0 if report.ok else 1
