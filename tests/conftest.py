"""Hypothesis profiles: ``ci`` (the default), ``dev`` and ``thorough``, chosen by the
``HYPOTHESIS_PROFILE`` environment variable.  Every property runs at least 200 examples under
``ci``; ``derandomize`` is off, so each run draws new examples, and the seed is printed so a
failure can be replayed with ``--hypothesis-seed``."""

import os

# On a GPU, XLA takes 75% of the device's memory per process by default: with pytest -n N the
# workers after the first would fail to allocate.  Harmless on the CPU.
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

from hypothesis import HealthCheck, settings

_common = {
    "deadline": None,  # the first example of a shape pays for a JAX compile
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
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


# The JAX persistent compilation cache, for repeated runs of the suite: REFNET_JAX_CACHE=DIR
# keeps compiled XLA programs in DIR (REFNET_JAX_CACHE=1: .pytest_cache/jax in the repository);
# a later run at the same shapes loads them instead of compiling.  Off unless asked for, so a
# run never depends on what an earlier one left behind.  Every compile is kept, however short:
# most of the suite's take 0.05-0.5 s, below JAX's default threshold of 1 s.
_jax_cache = os.environ.get("REFNET_JAX_CACHE")
if _jax_cache:
    import jax

    if _jax_cache == "1":
        _jax_cache = os.path.join(os.path.dirname(os.path.dirname(__file__)),
                                  ".pytest_cache", "jax")
    jax.config.update("jax_compilation_cache_dir", _jax_cache)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
