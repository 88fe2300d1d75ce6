"""`bwp-privacy`: the operator CLI (replay, tasks, failures, dead-letter queues, archive)."""
