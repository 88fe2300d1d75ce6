"""A deliberately minimal handler, written for the benchmark only: never deployed."""
