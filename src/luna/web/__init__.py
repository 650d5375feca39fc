"""Luna web layer."""
