"""Luna ports layer."""
