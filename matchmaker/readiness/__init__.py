"""Listing readiness over time, and the listing reserve pool."""
