"""Compliance views over the cases: how urgent each open request is against its legal
deadline (`bucket_of`), the request log an auditor reads (`request_records`, written by
`write_csv` or `write_jsonl`), and the yearly figures a business publishes (`yearly_stats`,
as § 7102 names them by `metric_rows`, written by `write_stats_csv`).

Pure: cases in, values out (or text to a stream); no table, no AWS, an explicit ``now``.
"""

# The views say a deadline's standing in these words (one wording for every view).
from bwp_privacy.common.days import standing, whole_days_left
from bwp_privacy.compliance.buckets import (
    DEFAULT_DUE_SOON_DAYS,
    Bucket,
    bucket_counts,
    bucket_of,
    legal_days_left,
)
from bwp_privacy.compliance.export import (
    COLUMNS,
    STATS_COLUMNS,
    write_csv,
    write_jsonl,
    write_stats_csv,
)
from bwp_privacy.compliance.records import (
    HOW_MADE,
    RequestRecord,
    Response,
    appeal_response_of,
    denial_basis,
    denial_category,
    request_record,
    request_records,
    response_of,
    year_window,
)
from bwp_privacy.compliance.stats import (
    DENIAL_CATEGORY,
    NO_REASON,
    REQUEST_TYPE,
    KindStats,
    YearStats,
    metric_rows,
    whole_days_to_respond,
    yearly_stats,
)

__all__ = [
    "COLUMNS",
    "DEFAULT_DUE_SOON_DAYS",
    "DENIAL_CATEGORY",
    "HOW_MADE",
    "NO_REASON",
    "REQUEST_TYPE",
    "STATS_COLUMNS",
    "Bucket",
    "KindStats",
    "RequestRecord",
    "Response",
    "YearStats",
    "appeal_response_of",
    "bucket_counts",
    "bucket_of",
    "denial_basis",
    "denial_category",
    "legal_days_left",
    "metric_rows",
    "request_record",
    "request_records",
    "response_of",
    "standing",
    "whole_days_left",
    "whole_days_to_respond",
    "write_csv",
    "write_jsonl",
    "write_stats_csv",
    "year_window",
    "yearly_stats",
]
