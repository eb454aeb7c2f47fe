"""Reports staff hand upward: needs, meetings with outcomes and the statistics, as CSV
(UTF-8 with a byte-order mark, so Excel reads the Chinese headings) and as .xlsx."""
