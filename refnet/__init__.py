"""refnet: an autograd-verified reference implementation of a small neural network.

Every formula is hand-written in NumPy (:mod:`refnet.activations`, :mod:`refnet.network`), with
a hand-written JAX twin (:mod:`refnet.twin`) and mpmath forms (:mod:`refnet.mp`);
:mod:`refnet.oracles` holds the independent judges (``jax.grad`` of the twin, Richardson
differences, the complex step, mpmath) and :mod:`refnet.checking` the engine behind
``check_gradient``, ``check_derivative`` and ``check_jacobian``.

The NumPy side never imports JAX; ``import refnet`` stays light (the checks and ``ulps`` load on
first use).
"""

from refnet.activations import (
    ACTIVATIONS,
    Activation,
    log_softmax,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)

__version__ = "0.1.0"

# loaded on first use (PEP 562), so that `import refnet` does not load the checking engine
_LAZY = {
    "check_gradient": "refnet.check",
    "check_derivative": "refnet.check",
    "check_jacobian": "refnet.check",
    "Report": "refnet.check",
    "ulps": "refnet.oracles.mpmath",
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'refnet' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_LAZY))


__all__ = [
    "check_gradient",
    "check_derivative",
    "check_jacobian",
    "Report",
    "ulps",
    "ACTIVATIONS",
    "Activation",
    "softmax",
    "log_softmax",
    "softmax_jacobian",
    "softmax_vjp",
    "__version__",
]
