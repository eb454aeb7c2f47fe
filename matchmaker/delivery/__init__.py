"""Notifications out: email over SMTP, the group robots of WeCom, DingTalk and Feishu, and
signed webhooks to institutions' own systems.

Nothing is sent inside a request: writing a notification only queues deliveries
(:mod:`.queue`, the ``deliveries`` index); a worker thread of ``serve`` and the command
``matchmaker deliver`` send what is due (:mod:`.worker`), retrying with exponential backoff
and jitter, and giving up after ``DELIVERY_MAX_ATTEMPTS``.
"""
