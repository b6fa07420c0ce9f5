"""The site's date formats in Japanese: the same one labelled time zone, written the Japanese way.

"2026年12月1日 22:05 JST" (TIME_ZONE Asia/Tokyo); Django's own ja formats would drop the zone label.
"""

DATETIME_FORMAT = "Y年n月j日 H:i T"
SHORT_DATETIME_FORMAT = "Y/m/d H:i T"
DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = "Y/m/d"
TIME_FORMAT = "H:i"

__all__ = ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATE_FORMAT", "TIME_FORMAT"]
