"""``refnet train --dataset breast_cancer|iris|digits``: train refnet's network on real data.

The datasets are scikit-learn's bundled copies (no download; ``pip install scikit-learn``, or
``pip install ".[data]"`` in refnet's checkout):

- ``breast_cancer``: 569 samples, 30 features, 2 classes → one sigmoid output (binary labels);
- ``iris``: 150 samples, 4 features, 3 classes → softmax over one-hot labels;
- ``digits``: 1797 samples (8×8 images), 64 features, 10 classes → softmax over one-hot labels.

A seeded split holds out ``--test-fraction`` of the samples (default 0.25); the features are
standardised with the training set's mean and standard deviation (the test set is never looked
at); arrays are features × samples, as everywhere in refnet.  Training is ``refnet.network.train``
(gradient descent, full batch or ``--batch-size``), from ``initialize_parameters`` with
``--seed`` and ``--scale``.  The cost is printed every ``--print-every`` iterations (from the
history, after the run; a progress bar shows on a terminal while it runs), then the final train
and test accuracy.

``--twin`` also trains the JAX twin (``refnet.twin.network.train``, a jitted ``lax.scan`` whose
gradients come from ``jax.grad``) from the same initial parameters and reports the largest
relative difference of the two cost histories; they must agree within
``tolerances.TRAJECTORY_RTOL`` (full batch only).  Exit 0, or 1 when they do not agree; 2 bad
usage.
"""

from __future__ import annotations

import math

import numpy as np

from refnet._install import hint
from refnet._json import schema_path
from refnet.cli import (
    UsageError,
    activation_names,
    image_file,
    json_text,
    name_type,
    nonneg_int,
    positive_int,
    progress,
)

DATASETS = {
    # name -> (scikit-learn loader, output layer)
    "breast_cancer": ("load_breast_cancer", "sigmoid"),
    "iris": ("load_iris", "softmax"),
    "digits": ("load_digits", "softmax"),
}


def configure(parser) -> None:
    names = activation_names()
    parser.add_argument("--dataset", required=True, choices=sorted(DATASETS),
                        type=name_type(sorted(DATASETS), "dataset"),
                        help="scikit-learn's bundled dataset to train on")
    parser.add_argument("--hidden", type=positive_int, nargs="+", default=[16], metavar="N",
                        help="hidden layer widths, e.g. --hidden 16 8 (default: 16)")
    parser.add_argument("--activation", default="tanh", choices=names,
                        type=name_type(names, "activation"),
                        metavar="NAME", help="hidden activation (default tanh)")
    parser.add_argument("--iterations", type=positive_int, default=2000,
                        help="gradient steps (default 2000)")
    parser.add_argument("--lr", type=float, default=0.5, help="learning rate (default 0.5)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="mini-batch size (default: the whole training set)")
    parser.add_argument("--lambd", type=float, default=0.0,
                        help="L2 penalty λ, as in refnet.network.train (default 0)")
    parser.add_argument("--scale", type=float, default=0.1,
                        help="initial weights: standard normal times this (default 0.1)")
    parser.add_argument("--seed", type=nonneg_int, default=0,
                        help="seed of the split, the initial weights and the shuffles (0)")
    parser.add_argument("--test-fraction", type=float, default=0.25,
                        help="share of the samples held out for testing (default 0.25)")
    parser.add_argument("--print-every", type=positive_int, default=None, metavar="N",
                        help="print the cost every N iterations (default: iterations/10)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="save the cost curve "
                             "(matplotlib; png, pdf, svg, ...: from the suffix)")
    parser.add_argument("--twin", action="store_true",
                        help="also run the JAX twin from the same start and compare the costs")
    parser.add_argument("--json", action="store_true",
                        help=f"print the result as JSON; its schema: "
                        f"{schema_path('train')}")


# ---------------------------------------------------------------------------------------------
# data


def load(name: str):
    """``(X, labels, n_classes)`` of a bundled scikit-learn dataset: X samples × features."""
    try:
        import sklearn.datasets as skd
    except ImportError:
        raise UsageError(f"--dataset needs scikit-learn: {hint('data')}") from None
    loader, _ = DATASETS[name]
    bunch = getattr(skd, loader)()
    X = np.asarray(bunch.data, dtype=np.float64)
    labels = np.asarray(bunch.target, dtype=np.int64)
    return X, labels, int(labels.max()) + 1


def split(n: int, test_fraction: float, seed: int):
    """Indices of a seeded random split: ``(train, test)``, test of round(n·fraction) ≥ 1."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_test = max(1, round(n * test_fraction))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def standardise(X_train, X_test):
    """Centre and scale each feature by the training set's mean and standard deviation (a
    feature constant on the training set, like the blank corners of digits, is only centred)."""
    mu = X_train.mean(axis=0)
    sd = X_train.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (X_train - mu) / sd, (X_test - mu) / sd


def targets(labels, n_classes: int, output: str) -> np.ndarray:
    """Labels as the network's Y (outputs × samples): a 0/1 row for a sigmoid output, one-hot
    columns for softmax."""
    if output == "sigmoid":
        return labels[None, :].astype(np.float64)
    return np.eye(n_classes)[:, labels]


def accuracy(AL, labels, output: str) -> float:
    """Share of samples whose predicted class (AL > 1/2, or the largest softmax output) is the
    label."""
    pred = (AL[0] > 0.5).astype(np.int64) if output == "sigmoid" else np.argmax(AL, axis=0)
    return float(np.mean(pred == labels))


# ---------------------------------------------------------------------------------------------


def _check(args):
    """Every setting, and the --plot file, before any work."""
    if not math.isfinite(args.lr) or args.lr <= 0:
        raise UsageError(f"--lr {args.lr}: expected a positive finite number")
    if not math.isfinite(args.lambd) or args.lambd < 0:
        raise UsageError(f"--lambd {args.lambd}: expected a finite number >= 0")
    if not math.isfinite(args.scale) or args.scale <= 0:
        raise UsageError(f"--scale {args.scale}: expected a positive finite number")
    if not 0 < args.test_fraction < 1:
        raise UsageError(f"--test-fraction {args.test_fraction}: expected a number in (0, 1)")
    if args.plot:
        image_file(args.plot, "--plot")


def _plot(path, costs, twin_costs, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(np.arange(costs.size), costs, label="refnet (NumPy)")
    if twin_costs is not None:
        ax.plot(np.arange(twin_costs.size), twin_costs, "--", label="JAX twin")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J (training batch)")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    finally:
        plt.close(fig)


def run(args) -> int:
    from refnet import network as net
    from refnet import tolerances as tol

    _check(args)
    X, labels, k = load(args.dataset)
    output = DATASETS[args.dataset][1]
    tr, te = split(X.shape[0], args.test_fraction, args.seed)
    Xtr, Xte = standardise(X[tr], X[te])
    Xtr, Xte = Xtr.T.copy(), Xte.T.copy()  # features × samples
    Ytr = targets(labels[tr], k, output)
    m = Xtr.shape[1]
    full_batch = args.batch_size is None or args.batch_size >= m
    if args.twin and not full_batch:
        raise UsageError("--twin compares full-batch runs only: leave out --batch-size")

    hidden = tuple(args.hidden)
    dims = net.layer_sizes(Xtr, Ytr, hidden)
    rng = np.random.default_rng(args.seed)
    p0 = net.initialize_parameters(dims, seed=rng, scale=args.scale)
    from refnet import fast

    # the fused step (the same bits as the reference step, faster), with a progress bar on a
    # terminal: one iteration is one step
    with progress(total=args.iterations, desc="train", unit="step") as bar:
        params, costs = net.train(Xtr, Ytr, hidden, hidden_activation=args.activation,
                                  output=output, iterations=args.iterations, lr=args.lr,
                                  lambd=args.lambd, batch_size=args.batch_size, seed=rng,
                                  parameters=p0, step=fast.train_step,
                                  callback=lambda i, cost, p: bar.update())
    acc_tr = accuracy(net.forward_propagation(Xtr, params, args.activation, output)[0],
                      labels[tr], output)
    acc_te = accuracy(net.forward_propagation(Xte, params, args.activation, output)[0],
                      labels[te], output)

    twin_costs, twin_diff, agree = None, None, True
    if args.twin:
        from refnet.twin import network as twin

        _, tc = twin.train(Xtr, Ytr, p0, hidden_activation=args.activation, output=output,
                           iterations=args.iterations, lr=args.lr, lambd=args.lambd)
        twin_costs = np.asarray(tc, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.abs(twin_costs - costs) / np.abs(costs)
        twin_diff = float(np.max(rel)) if np.all(np.isfinite(rel)) else math.inf
        agree = twin_diff <= tol.TRAJECTORY_RTOL

    if args.plot:
        _plot(args.plot, costs, twin_costs,
              f"{args.dataset}: {'-'.join(map(str, dims))}, {args.activation}, lr {args.lr:g}")

    result = {
        "dataset": args.dataset, "output": output, "layer_sizes": list(dims),
        "activation": args.activation, "iterations": args.iterations, "lr": args.lr,
        "lambd": args.lambd, "batch_size": args.batch_size if not full_batch else None,
        "scale": args.scale, "seed": args.seed, "train_samples": int(m),
        "test_samples": int(Xte.shape[1]), "first_cost": float(costs[0]),
        "final_cost": float(costs[-1]), "train_accuracy": acc_tr, "test_accuracy": acc_te,
    }
    if args.twin:
        result.update(twin_max_rel_diff=twin_diff, twin_rtol=tol.TRAJECTORY_RTOL,
                      twin_agrees=bool(agree))
    if args.plot:
        result["plot"] = args.plot

    if args.json:
        print(json_text(result))
    else:
        every = args.print_every or max(1, args.iterations // 10)
        print(f"{args.dataset}: {m} training and {Xte.shape[1]} test samples, layer sizes "
              f"{dims}, {args.activation} hidden, {output} output")
        for i in range(0, args.iterations, every):
            print(f"cost {i:6d}: {costs[i]:.6f}")
        print(f"cost {args.iterations - 1:6d}: {costs[-1]:.6f} (final)")
        print(f"train accuracy: {acc_tr:.4f}")
        print(f"test accuracy:  {acc_te:.4f}")
        if args.twin:
            verdict = "agree" if agree else "DISAGREE"
            print(f"JAX twin: max relative difference of the cost histories {twin_diff:.3g} "
                  f"(tolerance {tol.TRAJECTORY_RTOL:g}): {verdict}")
        if args.plot:
            print(f"plot: {args.plot}")
    return 0 if agree else 1
