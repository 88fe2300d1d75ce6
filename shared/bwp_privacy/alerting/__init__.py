"""On-call alert routing: from published failures to pages, chat messages and events."""
