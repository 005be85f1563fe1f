"""Hypothesis profiles: ``ci`` (the default), ``dev`` and ``thorough``, chosen by the
``HYPOTHESIS_PROFILE`` environment variable.  Every property runs at least 200 examples under
``ci``; ``derandomize`` is off, so each run draws new examples, and the seed is printed so a
failure can be replayed with ``--hypothesis-seed``."""

import os

# On a GPU, XLA takes 75% of the device's memory per process by default: with pytest -n N the
# workers after the first would fail to allocate.  Harmless on the CPU.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

from hypothesis import HealthCheck, settings  # noqa: E402

_common = dict(
    deadline=None,  # the first example of a shape pays for a JAX compile
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("ci", max_examples=200, **_common)
settings.register_profile("dev", max_examples=50, **_common)
settings.register_profile("thorough", max_examples=2000, **_common)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config):
    return f"hypothesis profile: {settings._current_profile}"


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current code instead of comparing with it",
    )
