"""Luna adapters vectors layer."""
