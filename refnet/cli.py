"""The ``refnet`` command line.

Each subcommand lives in its own module, which defines ``configure(parser)`` (adds its
arguments) and ``run(args) -> int`` (the exit status).  Exit status: 0 all verified, 1 a
mismatch, 2 bad usage (with a usage message, never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help)
COMMANDS = {
    "verify": ("refnet.checking.verify", "run refnet's built-in gradient checks and print a table"),
    "formulas": ("refnet.formulas_cli", "print each activation's formulas and measured accuracy"),
    "plot": ("refnet.plot", "plot an activation's derivatives and their errors (needs matplotlib)"),
    "vectors": ("refnet.vectors", "write reference vectors (correctly rounded values) as JSON or .npz"),
    "notebook": ("refnet.notebook_cli", "print the notebook's computations, cell by cell, with refnet's values"),
    "check": ("refnet.check_cli", "check your own gradient: refnet check MOD:F MOD:GRAD --shape 3,4"),
    "train": ("refnet.train_cli", "train the network on scikit-learn's breast_cancer, iris or digits"),
}


class UsageError(Exception):
    """Bad usage discovered after parsing (a file that does not exist, a bad shape, ...)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own exit status for usage errors is 2 already
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="refnet", description="An autograd-verified reference neural network.")
    from refnet import __version__

    parser.add_argument("--version", action="version", version=f"refnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, (module, help_) in COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        importlib.import_module(module).configure(p)
        p.set_defaults(_module=module)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(importlib.import_module(args._module).run(args))
    except UsageError as exc:
        print(f"refnet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `refnet notebook | head`: the reader left; stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
