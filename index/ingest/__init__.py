"""Ingest: files and feeds -> articles -> passages -> the store (readers, cleaning, splitting, the pipeline)."""
