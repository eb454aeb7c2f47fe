"""Notifications inside the product: each user's feed, and institutions' saved searches."""
