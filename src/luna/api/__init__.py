"""Luna api layer."""
