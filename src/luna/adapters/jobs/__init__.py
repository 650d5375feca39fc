"""Luna adapters jobs layer."""
