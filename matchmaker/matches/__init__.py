"""Matches in both directions: a need's institutions and an institution's deal flow."""
