"""Adapters that reach out to the web on a user's behalf (fetching documents by URL)."""
