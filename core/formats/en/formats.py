# Day, month, year in that order: Django's "m/d/Y P" (12/03/2026 10:39 p.m.) reads as 12 March in Europe.
DATE_FORMAT = "j M Y"  # 3 Dec 2026
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"  # 22:38
DATETIME_FORMAT = "j M Y, H:i"  # 3 Dec 2026, 22:38
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "j F"  # 3 December
