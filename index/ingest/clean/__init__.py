"""Boilerplate removal and text normalisation: pure functions, no I/O."""
