"""Number formats for Simplified Chinese pages, over Django's own zh_Hans formats.

Django leaves zh_Hans numbers ungrouped (an empty separator, groups of four), so 1234567 reads
as "1234567". Business software in mainland China groups by thousands with a comma
(1,234,567), as invoices and financial statements do. Everything not set here falls back to
Django's zh_Hans formats.
"""

THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
