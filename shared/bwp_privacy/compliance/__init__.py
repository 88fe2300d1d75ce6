"""Compliance views over the cases: the request log an auditor reads (`request_records`,
written by `write_csv` or `write_jsonl`), and the yearly figures a business publishes
(`yearly_stats`, as § 7102 names them by `metric_rows`, written by `write_stats_csv`). How
urgent an open request is (`bucket_of`) is the case's own reading of its clock, in
`bwp_privacy.cases`.

Pure: cases in, values out (or text to a stream); no table, no AWS, an explicit ``now``. So
it imports the case's pure modules by name (``bwp_privacy.cases.case``), never the package,
which brings the table's reader and store with it.
"""

# The views say a deadline's standing in these words (one wording for every view).
from bwp_privacy.common.days import standing, whole_days_left
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
    "DENIAL_CATEGORY",
    "HOW_MADE",
    "NO_REASON",
    "REQUEST_TYPE",
    "STATS_COLUMNS",
    "KindStats",
    "RequestRecord",
    "Response",
    "YearStats",
    "appeal_response_of",
    "denial_basis",
    "denial_category",
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
