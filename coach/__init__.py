"""coach: an interaction coach for B2B account teams."""

__version__ = "0.1.0"
