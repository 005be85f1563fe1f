"""One example of each of the five states of refnet's checker (docs/checking.md).

    python docs/examples/five_states.py
"""

import numpy as np

from refnet import check_derivative, check_gradient

print("verified:   ", check_derivative(np.tanh, lambda z: 1 - np.tanh(z) ** 2,
                                       np.array([-3.0, 0.5, 2.0])).summary())
print("subgradient:", check_derivative(lambda z: np.maximum(z, 0.0), lambda z: (z > 0) * 1.0,
                                       np.array([-1.0, 0.0, 2.0])).summary())
# a sigmoid written 0.5 (1 + tanh(z/2)) loses digits far out on the negative side
lossy = check_derivative(lambda z: np.logaddexp(0, z), lambda z: 0.5 * (1 + np.tanh(0.5 * z)),
                         np.array([-30.0, -1.0, 0.0, 2.0]))
print("lossy:      ", lossy.summary())
print("            ", lossy.lossy[0]["name"], lossy.lossy[0]["reason"])
# a large constant makes the cost round at 1e-8 of itself, and float() rules out the complex step
print("unresolved: ", check_gradient(lambda x: float(np.sum(np.sin(x)) + 1e8), np.cos,
                                     np.array([0.3, -1.2, 2.0])).summary())


def lse(x):
    return float(np.max(x) + np.log(np.sum(np.exp(x - np.max(x)))))


x = np.array([1e4, 1e4 + 0.5, 1e4 - 0.25])
print("mismatch:   ", check_gradient(lse, lambda x: np.exp(x - lse(x))[::-1], x).summary())
