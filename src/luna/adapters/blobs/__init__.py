"""Luna adapters blobs layer."""
