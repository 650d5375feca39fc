"""Luna adapters layer."""
