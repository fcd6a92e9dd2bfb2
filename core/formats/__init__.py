"""The portal's date and time formats (settings.FORMAT_MODULE_PATH), one per language, replacing Django's
for the names below: every `|date:"SHORT_DATETIME_FORMAT"` in a page or e-mail, admin's dates and
`core.dates` all read them. Day, month abbreviation, year, 24-hour time: `3 Dec 2026, 22:38` /
`3 gru 2026, 22:38`, never a numeric month that a reader could take for the day. Django's own formats
stay in force for what is not named here (input formats, number separators)."""
