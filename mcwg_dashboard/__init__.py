"""MCWG Adoption Dashboard: tracks how far member countries adopt the MCWG imaging-sharing recommendations."""

__version__ = "0.1.0"
