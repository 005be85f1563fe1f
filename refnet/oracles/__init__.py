"""The oracles that judge refnet's derivatives, each independent of the formula it checks.

- :mod:`~refnet.oracles.autodiff`: ``jax.grad`` of the hand-written JAX twin.
- :mod:`~refnet.oracles.differences`: Richardson-extrapolated differences with an error bar.
- :mod:`~refnet.oracles.complex_step`: Im f(x + ih)/h for complex-safe f.
- :mod:`~refnet.oracles.mpmath`: the correctly rounded value from mpmath, and ``ulps``.
"""

from refnet.oracles.autodiff import bucket_length, twin_derivative
from refnet.oracles.complex_step import complex_step_derivative, complex_step_gradient
from refnet.oracles.differences import (
    default_step,
    extrapolate,
    richardson_derivative,
    richardson_gradient,
)
from refnet.oracles.mpmath import MP_ACTIVATIONS, mp_value, ulps

# The oracles' names, as they appear in reports and are used in code.
TWIN = "twin"  # jax.grad of a JAX twin
RICHARDSON = "richardson"  # Richardson-extrapolated central differences
CENTRAL = "central difference"  # one central difference (the fast pass)
ONE_SIDED = "one-sided"  # one-sided Richardson tableaux, at and beside kinks
COMPLEX_STEP = "complex step"
MPMATH = "mpmath"

__all__ = [
    "TWIN",
    "RICHARDSON",
    "CENTRAL",
    "ONE_SIDED",
    "COMPLEX_STEP",
    "MPMATH",
    "twin_derivative",
    "richardson_derivative",
    "richardson_gradient",
    "complex_step_derivative",
    "complex_step_gradient",
    "mp_value",
    "MP_ACTIVATIONS",
    "ulps",
    "bucket_length",
    "default_step",
    "extrapolate",
]
