"""refnet: an autograd-verified reference implementation of a small neural network.

Every formula is hand-written in NumPy (:mod:`refnet.activations`, :mod:`refnet.network`) and
has a hand-written JAX twin (:mod:`refnet.twin`); :mod:`refnet.oracles` holds the independent
judges (``jax.grad`` of the twin, Richardson differences, the complex step, mpmath).

The NumPy side never imports JAX; ``import refnet`` stays light.
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

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "softmax",
    "log_softmax",
    "softmax_jacobian",
    "softmax_vjp",
    "__version__",
]
