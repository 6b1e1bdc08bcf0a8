"""hub: a plugin-based integration hub for managing customer managers.

The names a plugin author needs are importable from here.
"""

from hub.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]
