# Django's "d-m-Y  H:i" has two spaces and "j E Y" a genitive month; `b` is the lower-case abbreviation (gru).
DATE_FORMAT = "j b Y"  # 3 gru 2026
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"  # 22:38
DATETIME_FORMAT = "j b Y, H:i"  # 3 gru 2026, 22:38
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
