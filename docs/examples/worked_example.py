"""The worked example of docs/checking.md: a two-layer network with a planted bug.

    python docs/examples/worked_example.py
"""

import numpy as np

from refnet.check import check_gradient

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3))
Y = np.array([[1.0, 0.0, 1.0]])
params = {"W1": rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
          "W2": rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}

def cost(p):
    A1 = np.tanh(p["W1"] @ X + p["b1"])
    A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
    return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / X.shape[1]

def backward(p):
    m = X.shape[1]
    A1 = np.tanh(p["W1"] @ X + p["b1"])
    A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
    dZ2 = A2 - Y
    dZ1 = (p["W2"].T @ dZ2) * (1 - A1)          # planted bug: should be (1 - A1**2)
    return {"W1": dZ1 @ X.T / m, "b1": dZ1.sum(1, keepdims=True) / m,
            "W2": dZ2 @ A1.T / m, "b2": dZ2.sum(1, keepdims=True) / m}

report = check_gradient(cost, backward, params)
print(report)
