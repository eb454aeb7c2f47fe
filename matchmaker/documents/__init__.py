"""Enterprises' documents (business plan, statements, certificates): uploaded by the
enterprise or staff, checked by their content, kept behind a small storage interface
(:mod:`.store`), shown only to those the privacy rules let see them (:mod:`.service`)."""
