"""Luna adapters sql layer."""
