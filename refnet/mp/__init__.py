"""The mpmath side of refnet: the same formulas at arbitrary precision, the high-precision
oracle's own forms.

:mod:`refnet.mp.activations` mirrors :mod:`refnet.activations` (f, f′, f″ of each activation,
same names) and :mod:`refnet.mp.network` mirrors :mod:`refnet.network` (forward pass, cost,
backward pass).  They hold formulas only; the working precision and the rounding to float64 are
the oracle's, in :mod:`refnet.oracles.mpmath`.  Nothing here imports the NumPy side or the twin.
"""

from refnet.mp import activations, network

__all__ = ["activations", "network"]
