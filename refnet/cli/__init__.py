"""The ``refnet`` command line (also ``python -m refnet``).

One module per command in this package, each with ``configure(parser)`` (its arguments) and
``run(args) -> int`` (its exit status); this module holds the parser, :func:`main`, the exit
statuses and the helpers every command shares.  No library module imports this package: the
library raises ``ValueError``/``KeyError``/``ImportError``, and the commands say what went wrong
in one line.

Exit status:

- 0: everything verified;
- 1: a mismatch (a derivative, gradient or trajectory that disagrees with its oracles), and
  nothing else;
- 2: bad usage (an unknown name, a bad number, a file that cannot be read or written), with
  a one-line message and no traceback, before any work is done;
- 3: refnet itself failed (a bug): the traceback is printed.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib
import math
import os
import sys
import traceback
from pathlib import Path

from refnet._install import hint
from refnet._json import dumps
from refnet._names import unknown_name

__all__ = ["COMMANDS", "UsageError", "build_parser", "main", "unknown_name"]

# name -> (module, one-line help)
COMMANDS = {
    "verify": ("refnet.cli.verify", "run refnet's built-in gradient checks and print a summary"),
    "formulas": ("refnet.cli.formulas", "print each activation's formulas and measured accuracy"),
    "plot": ("refnet.cli.plot",
             "plot an activation's derivatives and their errors (needs matplotlib)"),
    "vectors": ("refnet.cli.vectors",
                "write reference vectors (correctly rounded values) as JSON or .npz"),
    "notebook": ("refnet.cli.notebook",
                 "print the notebook's computations, cell by cell, with refnet's values"),
    "check": ("refnet.cli.check",
              "check your own gradient: refnet check MOD:F MOD:GRAD --shape 3,4"),
    "train": ("refnet.cli.train",
              "train the network on scikit-learn's breast_cancer, iris or digits"),
}

EXIT_OK, EXIT_MISMATCH, EXIT_USAGE, EXIT_INTERNAL, EXIT_INCONCLUSIVE = 0, 1, 2, 3, 4


class UsageError(Exception):
    """Bad usage discovered after parsing (a file that does not exist, a bad shape, ...)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit status 2, as every other usage error
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    from refnet import __version__

    parser = _Parser(prog="refnet", description="An autograd-verified reference neural network.",
                     epilog="exit status: 0 verified, 1 a mismatch, 2 bad usage, "
                            "3 an internal error, 4 inconclusive (refnet check)")
    parser.add_argument("--version", action="version", version=f"refnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        importlib.import_module(module).configure(p)
        p.set_defaults(_module=module)
    return parser


def main(argv=None) -> int:
    """Run ``refnet ARGV...``; return the exit status (never raises SystemExit)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            _unrecognized(parser, args, extra)
    except SystemExit as exc:  # argparse: usage errors (2), --help and --version (0)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE if exc.code else EXIT_OK
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        with _reader_may_leave():
            return int(importlib.import_module(args._module).run(args))
    except UsageError as exc:
        print(f"refnet {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # written past the wrapper (sys.stdout.buffer): stop quietly
        _to_devnull(sys.stdout)
        return EXIT_OK
    except Exception as exc:
        from refnet.checking.options import InvalidArgument

        if isinstance(exc, InvalidArgument):  # what a check refuses (the point, an option)
            print(f"refnet {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        traceback.print_exc()
        print(f"refnet {args.command}: internal error (exit {EXIT_INTERNAL}); the traceback "
              "above is a bug", file=sys.stderr)
        return EXIT_INTERNAL


def _unrecognized(parser, args, extra) -> None:
    """Arguments no parser took: the command's own parser says so (``refnet verify: error:``),
    with the nearest option the command has (``--detial``: did you mean ``--detail``?)."""
    sub = parser
    if args.command is not None:
        action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        sub = action.choices[args.command]
    known = [o for a in sub._actions for o in a.option_strings]
    options = [e.split("=")[0] for e in extra if e.startswith("-")]
    close = difflib.get_close_matches(options[0], known, n=1) if options else []
    hint = f"; did you mean {close[0]}?" if close else ""
    sub.error(f"unrecognized arguments: {' '.join(extra)}{hint}")


# ---------------------------------------------------------------------------------------------
# a reader that leaves (`refnet check ... | head -1`)


def _to_devnull(stream) -> None:
    """Point ``stream``'s file descriptor at /dev/null (nothing is written to the closed pipe,
    not even at exit); a stream without one (a test's capture) is left as it is."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())


class _Leaving:
    """stdout, where a write to a reader that has left (a closed pipe) is dropped instead of
    raising: the command runs to its end and its exit status is the verdict (1 for a
    mismatch under ``set -o pipefail``), not 0 because the output was cut short."""

    def __init__(self, stream):
        self._stream, self.left = stream, False

    def _guarded(self, op, *a):
        if self.left:
            return None
        try:
            return op(*a)
        except BrokenPipeError:
            self.left = True
            _to_devnull(self._stream)
            return None

    def write(self, text):
        self._guarded(self._stream.write, text)
        return len(text)

    def flush(self):
        self._guarded(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def _reader_may_leave():
    saved = sys.stdout
    sys.stdout = _Leaving(saved)
    try:
        yield
        sys.stdout.flush()
    finally:
        sys.stdout = saved


# ---------------------------------------------------------------------------------------------
# names


def name_type(known, what: str):
    """An argparse ``type`` accepting only the names in ``known`` (with ``choices=known`` where
    the argument takes one value; a ``nargs="*"`` positional cannot have choices)."""
    known = list(known)

    def parse(text: str) -> str:
        if text not in known:
            raise argparse.ArgumentTypeError(unknown_name(text, known, what))
        return text

    parse.__name__ = what
    return parse


def activation_names(*, extra=()):
    """The activation registry's names (and ``extra`` ones, like ``softmax``)."""
    from refnet.activations import ACTIVATIONS

    return [*ACTIVATIONS, *extra]


# ---------------------------------------------------------------------------------------------
# numbers


def integer_at_least(text: str, low: int, expected: str, high: int | None = None) -> int:
    """An argparse type: the integer in ``text``, at least ``low`` and, where given, at most
    ``high`` (``expected`` says so)."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if v < low or (high is not None and v > high):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {v}")
    return v


def positive_int(text: str) -> int:
    """argparse ``type``: an integer >= 1."""
    return integer_at_least(text, 1, "a positive integer")


def nonneg_int(text: str) -> int:
    """argparse ``type``: an integer >= 0."""
    return integer_at_least(text, 0, "an integer >= 0")


def finite_float(text: str) -> float:
    """argparse ``type``: a finite number."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(v):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return v


# ---------------------------------------------------------------------------------------------
# output files, checked before any work


def output_file(path: str, option: str, *, suffixes=None) -> Path:
    """Check, before any work, that ``path`` can be written (its folder exists, it is not a
    folder, and it opens for writing) and, if ``suffixes`` is given, that it ends in one of
    them; raise UsageError."""
    if not str(path).strip():
        raise UsageError(f"{option}: an empty path, expected a file name")
    p = Path(path)
    if suffixes is not None and p.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {path}: expected a file ending in "
                         f"{', '.join(sorted(suffixes))}")
    if p.is_dir():
        raise UsageError(f"{option} {path}: is a folder, expected a file")
    folder = p.parent
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: the folder {str(folder)!r} does not exist")
    # opened, not judged by permission bits (root ignores them, and /sys or /proc refuse a
    # file whatever they say): a new file is made and removed again, an existing one opened
    # for appending, so nothing is changed
    existed = p.exists()
    try:
        with open(p, "a" if existed else "x", encoding="utf-8"):
            pass
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot be written ({exc.strerror or exc})") from None
    if not existed:
        with contextlib.suppress(OSError):
            p.unlink()
    return p


def image_file(path: str, option: str) -> Path:
    """An image path matplotlib can write (png, pdf, svg, ...), checked as :func:`output_file`;
    raise UsageError when matplotlib is missing."""
    try:
        from matplotlib.backend_bases import FigureCanvasBase
    except ImportError:
        raise UsageError(f"{option} needs matplotlib: {hint('plot')}") from None
    suffixes = {"." + s for s in FigureCanvasBase.get_supported_filetypes()}
    return output_file(path, option, suffixes=suffixes)


def write_text(text: str, path) -> None:
    """Write ``text`` (and a final newline) to ``path``, or to stdout when ``path`` is None."""
    if path is None:
        sys.stdout.write(text + "\n")
        return
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")


# ---------------------------------------------------------------------------------------------
# JSON: strict (no NaN or Infinity tokens); see docs/json.md


def json_text(obj, indent=1) -> str:
    """Strict JSON of ``obj`` (:func:`refnet._json.dumps`)."""
    return dumps(obj, indent=indent)


# ---------------------------------------------------------------------------------------------
# progress


def progress(iterable=None, *, total=None, desc="", unit="it"):
    """A tqdm progress bar on stderr, shown only when stderr is a terminal (disabled otherwise:
    it yields the items and ``update``/``set_postfix_str`` do nothing).  Its signature is the
    one the library's ``progress=`` hooks call (``refnet.vectors.build``)."""
    from tqdm import tqdm

    stream = sys.stderr
    tty = bool(getattr(stream, "isatty", lambda: False)())
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=stream, disable=not tty,
                leave=False, dynamic_ncols=True)
