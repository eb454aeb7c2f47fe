"""Whether the service serves: its records, its search, and the writes searches cannot see yet."""
