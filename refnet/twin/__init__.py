"""The JAX twin of refnet: the same formulas written by hand in ``jax.numpy``.

Importing this package switches on ``jax_enable_x64`` before any array is made, so the twin
computes in float64 like the NumPy side.  The twin never imports the NumPy side: an oracle that
shares code with what it checks proves nothing.
"""

import jax

jax.config.update("jax_enable_x64", True)

from refnet.twin import activations  # noqa: E402

__all__ = ["activations"]
