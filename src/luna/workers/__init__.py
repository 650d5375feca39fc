"""Luna workers layer."""
