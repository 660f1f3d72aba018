"""Rendering for Discord: embeds and messages within Discord's limits, escaped."""
