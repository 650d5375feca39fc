"""Luna domain layer."""
