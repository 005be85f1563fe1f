"""What pytest collects from the package itself: the docstrings' examples (``--doctest-modules``).

Every example may use ``np`` (NumPy), as NumPy's own docstrings do.  The adapters for optional
frameworks are collected only where the framework is installed, as their tests are.
"""

import importlib.util

import numpy
import pytest

collect_ignore = ["docs/conf.py", "build"]
for _module, _path in (("torch", "refnet/torch.py"), ("matplotlib", "refnet/plot.py"),
                       ("matplotlib", "refnet/cli/plot.py")):
    if importlib.util.find_spec(_module) is None:
        collect_ignore.append(_path)


@pytest.fixture(autouse=True)
def _doctest_numpy(doctest_namespace):
    doctest_namespace["np"] = numpy
