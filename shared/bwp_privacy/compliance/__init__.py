"""Compliance views over the cases: how urgent each open request is against its legal
deadline (`bucket_of`), the request log an auditor reads (`request_records`, written by
`write_csv` or `write_jsonl`), and the yearly figures a business publishes (`yearly_stats`).

Pure: cases in, values out (or text to a stream); no table, no AWS, an explicit ``now``.
"""

from bwp_privacy.compliance.buckets import (
    DEFAULT_DUE_SOON_DAYS,
    Bucket,
    bucket_counts,
    bucket_of,
    legal_days_left,
    standing,
    whole_days_left,
)
from bwp_privacy.compliance.export import COLUMNS, write_csv, write_jsonl
from bwp_privacy.compliance.records import (
    HOW_MADE,
    RequestRecord,
    Response,
    request_record,
    request_records,
    response_of,
)
from bwp_privacy.compliance.stats import NO_REASON, KindStats, YearStats, yearly_stats

__all__ = [
    "COLUMNS",
    "DEFAULT_DUE_SOON_DAYS",
    "HOW_MADE",
    "NO_REASON",
    "Bucket",
    "KindStats",
    "RequestRecord",
    "Response",
    "YearStats",
    "bucket_counts",
    "bucket_of",
    "legal_days_left",
    "request_record",
    "request_records",
    "response_of",
    "standing",
    "write_csv",
    "whole_days_left",
    "write_jsonl",
    "yearly_stats",
]
