"""The chaos soak: many events through the real recorder and router, with faults injected
at random (seeded), then an accounting of where every event ended."""
