"""Meetings between an enterprise and an institution, brokered by zone staff."""
