"""Luna pipelines layer."""
