"""Knowledge base: ingest, indexing, search, answers, corpus upkeep, snapshots, view help."""
