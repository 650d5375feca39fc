"""Luna api routers layer."""
