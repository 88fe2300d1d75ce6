"""The bare baseline of recorder's function (benchmark only: never deployed)."""
