"""The release of this package (a leaf module: the health report and the CLI read it)."""

__version__ = "0.1.0"
