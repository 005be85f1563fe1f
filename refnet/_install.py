"""What to install for an optional part of refnet, said in one way everywhere.

refnet installs from its checkout (it is not on PyPI), so asking pip for refnet with an extra by
name cannot work: the hint names the package itself, and the extra as a checkout installs it.
"""

from __future__ import annotations

# the extras of pyproject.toml and the packages they bring
EXTRAS = {"plot": "matplotlib", "data": "scikit-learn", "torch": "torch"}


def hint(extra: str) -> str:
    """``pip install matplotlib`` (or, from refnet's checkout, ``pip install ".[plot]"``)."""
    return f'pip install {EXTRAS[extra]} (or, in refnet\'s checkout, pip install ".[{extra}]")'
