"""Luna: a local, on-premise AI platform for energy documents, data and recommendations."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("luna-iems")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
