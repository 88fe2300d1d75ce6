"""The bare baseline of reaction's function (benchmark only: never deployed)."""
