"""The site's date formats in English (the UI's language): one labelled time zone everywhere."""

from marisa_site.formats import DATETIME_FORMAT

SHORT_DATETIME_FORMAT = DATETIME_FORMAT
DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = DATE_FORMAT

__all__ = ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATE_FORMAT"]
