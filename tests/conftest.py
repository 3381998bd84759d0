"""Shared test configuration."""

import os

from hypothesis import HealthCheck, settings

# Rendering a window is milliseconds of work; a deadline would only flake.
settings.register_profile(
    "default",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    parent=settings.get_profile("default"),
    derandomize=False,
    print_blob=True,
)
# ONCALL_HYPOTHESIS=thorough: many more examples, for bug hunting by hand.
settings.register_profile(
    "thorough", parent=settings.get_profile("default"), max_examples=1000
)
settings.load_profile(
    os.environ.get("ONCALL_HYPOTHESIS") or ("ci" if os.environ.get("CI") else "default")
)
