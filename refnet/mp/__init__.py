"""The mpmath side of refnet: the same formulas at arbitrary precision, the high-precision
oracle's own forms.

:mod:`refnet.mp.activations` mirrors :mod:`refnet.activations` (f, f′, f″ of each activation,
same names) and :mod:`refnet.mp.network` mirrors :mod:`refnet.network` (forward pass, cost,
backward pass).  They hold formulas only; the rounding to float64 is the oracle's, in
:mod:`refnet.oracles.mpmath`, at the working precision :data:`PRECISION` stated here (the
shipped table of values, :mod:`refnet.oracles.mp_table`, records it too).  Nothing here imports
the NumPy side or the twin.
"""

from refnet.mp import activations, network

__all__ = ["PRECISION", "activations", "network"]

# bits; no form here cancels, so 160 bits give the correctly rounded float64
PRECISION = 160
