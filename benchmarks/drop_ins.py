"""The drop-ins beside the originals, interleaved in one run.

    python -m benchmarks.drop_ins                 # 1,000 and 100,000 elements, 5 rounds
    python -m benchmarks.drop_ins --sizes 1000 --rounds 3

A tanh and an exact-GELU with hand-written backwards, as third-party code writes them: a
``torch.autograd.Function`` (float64 tensors) and a ``jax.custom_vjp`` function; and a
20-40-4 MLP (tanh, log-softmax; 1,004 parameters, 16 samples) in torch and in jax.  Each goes
through the original and refnet's drop-in with the same call (``gradcheck(f, (x,))`` at
torch's defaults and with ``fast_mode=True``; ``check_grads(f, (x,), 1, modes=("rev",))``,
refnet's also with ``fast=True``, its projection beside jax's),
one untimed warm-up each, then ``--rounds`` rounds with every contender once per round
(``benchmarks.run.rounds``); the table has the medians, their ratio and each verdict.  torch
runs on one thread.  torch's default mode forms the whole n×n Jacobian (n backward passes), so
it is left out past 10,000 elements ("—").
"""

from __future__ import annotations

import argparse
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import torch

from benchmarks.run import median, rounds

jax.config.update("jax_enable_x64", True)
torch.set_num_threads(1)


def torch_functions():
    class Tanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = torch.tanh(x)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * (1 - y * y)

    class Gelu(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * x * (1 + torch.erf(x / np.sqrt(2.0)))

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            cdf = 0.5 * (1 + torch.erf(x / np.sqrt(2.0)))
            pdf = torch.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
            return g * (cdf + x * pdf)

    return {"tanh": Tanh.apply, "gelu": Gelu.apply}


def jax_functions():
    @jax.custom_vjp
    def tanh(x):
        return jnp.tanh(x)

    tanh.defvjp(lambda x: (jnp.tanh(x), jnp.tanh(x)), lambda y, g: (g * (1 - y * y),))

    @jax.custom_vjp
    def gelu(x):
        return 0.5 * x * (1 + jax.scipy.special.erf(x / jnp.sqrt(2.0)))

    def gelu_bwd(x, g):
        cdf = 0.5 * (1 + jax.scipy.special.erf(x / jnp.sqrt(2.0)))
        return (g * (cdf + x * jnp.exp(-0.5 * x * x) / jnp.sqrt(2 * jnp.pi)),)

    gelu.defvjp(lambda x: (gelu(x), x), gelu_bwd)
    return {"tanh": tanh, "gelu": gelu}


def _verdict(fn):
    def go():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = fn()
            return "pass" if out in (True, None) else "fail"
        except (AssertionError, RuntimeError) as exc:  # the checkers' failures
            return f"fail ({type(exc).__name__})"
    return go


def cases(n):
    from jax.test_util import check_grads as jax_check_grads
    from torch.autograd import gradcheck as torch_gradcheck

    from refnet.jax import check_grads
    from refnet.torch import gradcheck

    x = torch.linspace(-3.0, 3.0, n, dtype=torch.float64).requires_grad_(True)
    xj = jnp.linspace(-3.0, 3.0, n)
    out = []
    for name, f in torch_functions().items():
        if n <= 10_000:
            out.append((f"torch {name}, gradcheck", n,
                        _verdict(lambda f=f: torch_gradcheck(f, (x,))),
                        _verdict(lambda f=f: gradcheck(f, (x,)))))
        out.append((f"torch {name}, fast_mode", n,
                    _verdict(lambda f=f: torch_gradcheck(f, (x,), fast_mode=True)),
                    _verdict(lambda f=f: gradcheck(f, (x,), fast_mode=True))))
    for name, f in jax_functions().items():
        original = _verdict(lambda f=f: jax_check_grads(f, (xj,), 1, modes=("rev",)))
        out.append((f"jax {name}, check_grads rev", n, original,
                    _verdict(lambda f=f: check_grads(f, (xj,), 1, modes=("rev",)))))
        out.append((f"jax {name}, check_grads rev, refnet fast=True", n, original,
                    _verdict(lambda f=f: check_grads(f, (xj,), 1, modes=("rev",), fast=True))))
    return out


def mlp_cases():
    """The 20-40-4 MLP (1,004 parameters) and a 784-128-10 one (101,770) in torch (four
    parameter tensors) and in jax (a dict of them); the full checks of the large one are left
    out (torch's forms a 160 × 101,770 Jacobian, refnet's judges 3 × 101,770 elements)."""
    return _mlp(20, 40, 4, full=True) + _mlp(784, 128, 10, full=False)


def _mlp(n_x, n_h, n_y, full):
    from jax.test_util import check_grads as jax_check_grads
    from torch.autograd import gradcheck as torch_gradcheck

    from refnet.jax import check_grads
    from refnet.torch import gradcheck

    rng = np.random.default_rng(1)
    X = rng.standard_normal((16, n_x))
    P = {"W1": rng.standard_normal((n_x, n_h)) / n_x**0.5, "b1": np.zeros(n_h),
         "W2": rng.standard_normal((n_h, n_y)) / n_h**0.5, "b2": np.zeros(n_y)}
    size = sum(a.size for a in P.values())
    name = f"MLP {n_x}-{n_h}-{n_y}"
    Xt = torch.tensor(X)
    ts = tuple(torch.tensor(P[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2"))

    def f(W1, b1, W2, b2):
        return torch.log_softmax(torch.tanh(Xt @ W1 + b1) @ W2 + b2, dim=1)

    Xj = jnp.asarray(X)

    def fj(p):
        return jax.nn.log_softmax(jnp.tanh(Xj @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"], axis=1)

    Pj = {k: jnp.asarray(v) for k, v in P.items()}
    out = []
    if full:
        out.append((f"torch {name}, gradcheck", size, _verdict(lambda: torch_gradcheck(f, ts)),
                    _verdict(lambda: gradcheck(f, ts))))
    out.append((f"torch {name}, fast_mode", size,
                _verdict(lambda: torch_gradcheck(f, ts, fast_mode=True)),
                _verdict(lambda: gradcheck(f, ts, fast_mode=True))))
    original = _verdict(lambda: jax_check_grads(fj, (Pj,), 1, modes=("rev",)))
    if full:
        out.append((f"jax {name}, check_grads rev", size, original,
                    _verdict(lambda: check_grads(fj, (Pj,), 1, modes=("rev",)))))
    out.append((f"jax {name}, check_grads rev, refnet fast=True", size, original,
                _verdict(lambda: check_grads(fj, (Pj,), 1, modes=("rev",), fast=True))))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    print("| case | elements | original | refnet | ratio | verdicts (original / refnet) |")
    print("|---|---|---|---|---|---|")
    every = [c for n in args.sizes for c in cases(n)] + mlp_cases()
    for label, size, original, ours in every:
        verdicts = (original(), ours())  # the warm-up, and the verdicts
        times, _ = rounds({"original": original, "refnet": ours}, args.rounds)
        a, b = median(times["original"]), median(times["refnet"])
        print(f"| {label} | {size:,} | {a * 1e3:.1f} ms | {b * 1e3:.1f} ms | {b / a:.2g}× | "
              f"{verdicts[0]} / {verdicts[1]} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
