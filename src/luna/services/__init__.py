"""Luna services layer."""
