"""lbctl: HAProxy + Keepalived configuration generator and control plane."""

__version__ = "0.1.0"
