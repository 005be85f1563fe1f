"""The oracles that judge refnet's derivatives, each independent of the formula it checks.

- :mod:`~refnet.oracles.autodiff`: ``jax.grad`` of the hand-written JAX twin.
- :mod:`~refnet.oracles.differences`: Richardson-extrapolated differences with an error bar.
- :mod:`~refnet.oracles.complex_step`: Im f(x + ih)/h for complex-safe f.
- :mod:`~refnet.oracles.mpmath`: the correctly rounded value from mpmath, and ``ulps``.
"""

from dataclasses import dataclass

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


@dataclass(frozen=True)
class Oracle:
    """What an oracle is, declared once, so that the judge asks it instead of comparing names.

    ``estimates``: what its value is an estimate of.  ``difference``: a difference quotient,
    whose agreement is evidence only where f moved over its stencil.  ``fails_alone``: its
    error bar is honest by itself, so a disagreement beyond it fails an element; otherwise it
    fails one only where resolved differences confirm its value.  ``beside_kinks``: valid at a
    point within a step of a kink (an exact value at that point; a stencil or a probe line that
    crosses the kink is not).  ``exact``: no truncation (only rounding) in its value.
    ``sees_lost_digits``: resolves digits differences cannot, so a disagreement below the lossy
    scale where differences agree shows a lossy formula.  ``complex_safe``: needs f to be."""

    name: str
    estimates: str
    difference: bool = False
    fails_alone: bool = False
    beside_kinks: bool = False
    exact: bool = False
    sees_lost_digits: bool = False
    complex_safe: bool = False


ORACLES = {o.name: o for o in (
    Oracle(TWIN, "jax.grad of a JAX twin of f", fails_alone=True, exact=True),
    Oracle(RICHARDSON, "f' from central differences at steps h0 … h0/8, extrapolated",
           difference=True, fails_alone=True),
    Oracle(CENTRAL, "f' from one central difference at h ~ eps**(1/3)", difference=True),
    Oracle(ONE_SIDED, "the one-sided derivatives, from forward and backward tableaux",
           difference=True, fails_alone=True, beside_kinks=True),
    Oracle(COMPLEX_STEP, "f' as Im f(x + ih)/h", exact=True, sees_lost_digits=True,
           complex_safe=True),
    Oracle(MPMATH, "the correctly rounded f' of a registry activation", fails_alone=True,
           beside_kinks=True, exact=True),
)}

__all__ = [
    "ORACLES",
    "Oracle",
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
