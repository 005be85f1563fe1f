"""Write refnet/data/mp_values.npz, the table of mpmath's correctly rounded values that
refnet.oracles.mp_table reads instead of recomputing them.

For every registry activation, at its default parameters, f, f' and f'' at the union of:
the random points of ``refnet verify`` at its defaults (--examples 2000, --seed 0), the sweep
and the step-size points of ``refnet formulas`` at its defaults, and the reference vectors'
points.  Every value comes from refnet.oracles.mpmath.mp_evaluate (mpmath at 160 bits, never
the table itself).  The file is written byte for byte the same from the same values (fixed
timestamps, fixed order), so an unchanged table leaves no diff.

    PYTHONPATH=. python tools/mp_table.py            # about two minutes per core
    PYTHONPATH=. python tools/mp_table.py --jobs 1
"""

from __future__ import annotations

import argparse
import io
import json
import os
import zipfile
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from refnet import study, vectors
from refnet.activations import ACTIVATIONS
from refnet.checking.verify import activation_points
from refnet.cli import verify as verify_cli
from refnet.oracles import mp_table
from refnet.oracles.mpmath import mp_evaluate


def table_points() -> dict:
    """name -> the float64 points of the table, sorted by their keys (bit patterns)."""
    rng = np.random.default_rng(verify_cli.SEED)
    drawn = activation_points(rng, list(ACTIVATIONS), verify_cli.EXAMPLES)
    out = {}
    for name in ACTIVATIONS:
        z = np.concatenate([drawn[name], study.sweep_points(name), study.step_points(name),
                            vectors.activation_points(name)])
        k = np.unique(mp_table.keys(z))
        out[name] = k.view(np.float64)
    return out


def values(name: str, z: np.ndarray) -> np.ndarray:
    """f, f', f'' of ``name`` at ``z``, shape (3, n), by mpmath."""
    p = dict(ACTIVATIONS[name].params)
    return np.stack([mp_evaluate(name, z, order, **p) for order in (0, 1, 2)])


def _array_bytes(a) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.asarray(a), allow_pickle=False)
    return buf.getvalue()


def write(path, arrays: dict) -> None:
    """An .npz (a zip of .npy files) with fixed timestamps, so the same arrays give the same
    bytes."""
    with zipfile.ZipFile(path, "w") as zf:
        for key, a in arrays.items():
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, _array_bytes(a), compresslevel=9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count(), help="processes")
    parser.add_argument("-o", "--output", default=str(mp_table.PATH))
    args = parser.parse_args()
    points = table_points()
    names = list(points)
    with ProcessPoolExecutor(max(args.jobs, 1)) as ex:
        computed = dict(zip(names, ex.map(values, names, [points[n] for n in names])))
    prints = mp_table.fingerprints()
    arrays = {"format": np.int64(mp_table.FORMAT), "names": np.array(names)}
    for name in names:
        arrays[f"{name}.fingerprint"] = np.str_(prints[name])
        arrays[f"{name}.keys"] = mp_table.keys(points[name])
        arrays[f"{name}.values"] = computed[name]
        arrays[f"{name}.params"] = np.str_(json.dumps(dict(ACTIVATIONS[name].params),
                                                      sort_keys=True))
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    write(args.output, arrays)
    print(f"{args.output}: {sum(p.size for p in points.values())} points, "
          f"{os.path.getsize(args.output)} bytes")


if __name__ == "__main__":
    main()
