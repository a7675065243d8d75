"""Judging an account from the facts of its interactions: plain, deterministic code."""
