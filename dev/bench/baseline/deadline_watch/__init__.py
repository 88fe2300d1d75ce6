"""The bare baseline of deadline_watch's function (benchmark only: never deployed)."""
