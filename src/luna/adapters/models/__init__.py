"""Luna adapters models layer."""
