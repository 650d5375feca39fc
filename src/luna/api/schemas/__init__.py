"""Luna api schemas layer."""
