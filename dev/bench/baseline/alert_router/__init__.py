"""The bare baseline of alert_router's function (benchmark only: never deployed)."""
