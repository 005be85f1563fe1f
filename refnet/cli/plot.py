"""``refnet plot NAME -o FILE.png``: f, f′, f″ and the error of each formula and oracle for f′
against mpmath (:func:`refnet.plot.plot_activation`); with ``--step-size``, the error of a
central difference against its step (:func:`refnet.plot.plot_steps`).  Needs matplotlib; the
image format follows the file's suffix (png, pdf, svg, ...), checked before drawing."""

from __future__ import annotations

from refnet.cli import activation_names, image_file, name_type, progress


def configure(parser) -> None:
    names = activation_names()
    parser.add_argument("name", metavar="NAME", choices=names, type=name_type(names, "activation"),
                        help="an activation of the registry")
    parser.add_argument("-o", "--output", metavar="FILE.png", required=True,
                        help="the image file (png, pdf, svg, ...: from the suffix)")
    parser.add_argument("--step-size", action="store_true",
                        help="draw finite-difference error against step size instead")
    parser.add_argument("--at", type=float, default=None, metavar="Z",
                        help="with --step-size: the z nearest to this among the study points")


def run(args) -> int:
    image_file(args.output, "-o")
    from refnet import plot

    with progress(total=1, desc=f"plot {args.name}") as bar:
        if args.step_size:
            plot.plot_steps(args.name, args.output, at=args.at)
        else:
            plot.plot_activation(args.name, args.output)
        bar.update()
    print(f"wrote {args.output}")
    return 0
