"""Shared test helpers: the offline discord.py driver and small real stores and indexes."""
