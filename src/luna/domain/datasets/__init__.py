"""The datasets capability (issue #16): pipelines as files, cleaning, quality, versions and lineage."""
