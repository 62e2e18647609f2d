"""One date format everywhere in the English UI (docs/design.md §11): 1 Dec 2026 7:35."""

DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y G:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
TIME_FORMAT = "G:i"
