"""The shared parts every feature builds on: who may do what (``access``, ``users``), the
zone's calendar (``calendar``), settings features share (``settings``), the document-service
base (``service``), the per-request service factory and API helpers (``api``), and the
request plumbing (``json_body``, ``rate_limits``, ``language``, ``schemas``,
``search_params``).

The core imports only the foundation and the engine, never a feature.
"""
