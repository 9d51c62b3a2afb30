"""`python -m controlplane.cli`: the same as the `lbctl` command."""

from . import run

run()
