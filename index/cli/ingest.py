"""Ingest-side commands: index, stats, article, clean."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ingest-side subcommands."""
