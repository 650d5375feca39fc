"""Luna cli layer."""
