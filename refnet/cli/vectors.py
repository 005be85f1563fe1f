"""``refnet vectors [NAME ...] --out FILE``: reference vectors (:mod:`refnet.vectors`), written as
JSON or ``.npz`` exactly to FILE.  The format is ``--format``, or else FILE's suffix (``.npz``;
anything else is JSON); a ``--format`` that contradicts a ``.json`` or ``.npz`` suffix is a usage
error, checked before any work."""

from __future__ import annotations

from pathlib import Path

from refnet.cli import UsageError, activation_names, name_type, output_file, progress

FORMATS = ("json", "npz")


def configure(parser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME",
                        type=name_type(activation_names(), "activation"),
                        help="activations to include (default: all, with every network case)")
    parser.add_argument("--out", "-o", required=True, metavar="FILE", help="where to write")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="json or npz (default: from FILE's suffix, json unless .npz)")
    parser.add_argument("--no-networks", action="store_true", help="activations only")


def output_format(path: str, given) -> str:
    """The format to write ``path`` in: ``given``, or the suffix's; UsageError on a clash."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if given is None:
        return "npz" if suffix == "npz" else "json"
    if suffix in FORMATS and suffix != given:
        raise UsageError(f"--out {path} with --format {given}: the suffix says {suffix}; "
                         f"name the file FILE.{given}, or leave out --format")
    return given


def run(args) -> int:
    fmt = output_format(args.out, args.format)
    output_file(args.out, "--out")
    from refnet import vectors

    doc = vectors.build(args.names, networks=not args.no_networks, progress=progress)
    if fmt == "npz":
        with open(args.out, "wb") as fh:  # a file object: NumPy adds no ".npz" to the name
            vectors.to_npz(doc, fh)
    else:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(vectors.to_json(doc) + "\n")
    n_pts = sum(len(a["z"]) for a in doc["activations"].values())
    print(f"wrote {args.out} ({fmt}): {len(doc['activations'])} activations ({n_pts} points), "
          f"{len(doc['networks'])} network cases")
    return 0
