"""The audit log: who changed what and when.  Append-only: entries are written by the
services' observers and read by staff; nothing updates or deletes them."""
