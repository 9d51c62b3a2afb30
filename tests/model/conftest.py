"""Hypothesis profiles: "ci" by default, "extended" with HYPOTHESIS_PROFILE=extended.

`make test-extended` runs the model tests with thousands of examples; the default keeps
this folder's property tests to about half a minute on two cores.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Documents are built by large composite strategies and every example of the render
# property runs haproxy and keepalived, so neither speed health check applies.
_SLOW_BY_DESIGN = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=_SLOW_BY_DESIGN, print_blob=True
)
settings.register_profile(
    "extended",
    max_examples=1500,
    deadline=None,
    suppress_health_check=_SLOW_BY_DESIGN,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
