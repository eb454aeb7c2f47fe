"""All demo data: the 2012 zone's institutions, enterprises and needs (``dataset``), with
their dated events (``dates``), products (``products``), board-ready firms
(``readiness``), brokering history (``brokering``) and fund (``fund``), loaded by
``seeding`` through the same path as ``matchmaker import``.

The demo sits above the features (it builds their documents); no feature imports it.
"""
