"""Alert receivers: one module per destination."""
