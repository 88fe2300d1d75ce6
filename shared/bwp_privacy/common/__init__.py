"""What every feature stands on: errors, settings, secrets, retries, time budgets, redaction and
outside text made safe, validation messages, metrics and tracing, and the AWS client
configuration.

Nothing here knows about Buy with Prime, failures or alerts; every other package may use it.
"""

from bwp_privacy.common.aws import AWS_CLIENT_CONFIG, aws_client
from bwp_privacy.common.budget import MIN_REQUEST_SECONDS, Budget, OutOfTime
from bwp_privacy.common.clock import iso_z, parse_iso, use_clock, utc_now
from bwp_privacy.common.config_file import CONFIG_MAX_AGE_SECONDS, ConfigSource, parse_config
from bwp_privacy.common.days import plain_day, standing, whole_days_left
from bwp_privacy.common.durations import Duration, duration_seconds
from bwp_privacy.common.errors import BwpPrivacyError
from bwp_privacy.common.markup import mrkdwn_escape, no_emphasis
from bwp_privacy.common.observability import (
    NAMESPACE,
    MetricsSink,
    NoMetrics,
    PowertoolsMetricsSink,
    trace_handler,
)
from bwp_privacy.common.redaction import EMAIL_MASK, mask_emails
from bwp_privacy.common.retry import Backoff, RetryableError, call_with_retries, retry_after_seconds
from bwp_privacy.common.secrets import SECRET_MAX_AGE_SECONDS, JsonSecrets
from bwp_privacy.common.settings import EnvSettings, SettingsError
from bwp_privacy.common.text import (
    ELLIPSIS,
    IDENTIFIER,
    bounded,
    clean_text,
    held_to,
    one_line,
    quoted,
)
from bwp_privacy.common.validation import Problem, describe_validation_error, validation_problems

__all__ = [
    "AWS_CLIENT_CONFIG",
    "CONFIG_MAX_AGE_SECONDS",
    "ELLIPSIS",
    "EMAIL_MASK",
    "IDENTIFIER",
    "MIN_REQUEST_SECONDS",
    "NAMESPACE",
    "SECRET_MAX_AGE_SECONDS",
    "Backoff",
    "Budget",
    "BwpPrivacyError",
    "ConfigSource",
    "Duration",
    "EnvSettings",
    "JsonSecrets",
    "MetricsSink",
    "NoMetrics",
    "OutOfTime",
    "PowertoolsMetricsSink",
    "Problem",
    "RetryableError",
    "SettingsError",
    "aws_client",
    "bounded",
    "call_with_retries",
    "clean_text",
    "describe_validation_error",
    "duration_seconds",
    "held_to",
    "iso_z",
    "mask_emails",
    "mrkdwn_escape",
    "no_emphasis",
    "one_line",
    "parse_config",
    "parse_iso",
    "plain_day",
    "quoted",
    "retry_after_seconds",
    "standing",
    "trace_handler",
    "use_clock",
    "utc_now",
    "validation_problems",
    "whole_days_left",
]
