"""Runtime library of bwp-privacy: shipped to Lambda as a layer, importable in tests."""

__version__ = "0.1.0"
