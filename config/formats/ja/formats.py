"""One date format everywhere in the Japanese UI (docs/design.md §11): 2026年12月1日 7:35.

Django's Japanese formats mix 2026/12/01 (short) and 2026年12月1日 (long); a school reads one.
Templates use the named formats DATE_FORMAT and DATETIME_FORMAT, never a pattern of their own
(machine-readable values use |date:"c" and CSV exports ISO-like patterns).
"""

DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 G:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "G:i"
MONTH_DAY_FORMAT = "n月j日"
YEAR_MONTH_FORMAT = "Y年n月"
