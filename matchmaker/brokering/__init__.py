"""Brokering: institutions' interest, introductions, response deadlines and the facts a
need keeps of its way through the funnel (interested, met, funded).

Meetings, notifications, statistics, exports and the audit log are features of their own
(``matchmaker.meetings`` and so on); this package holds what they share.
"""
