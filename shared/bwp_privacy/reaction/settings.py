"""ReactionFunction's environment variables: the API client's, the cases table, the attempt
schedules and where notices go."""

from __future__ import annotations

from pydantic import Field

from bwp_privacy.bwp_api import ApiSettings


class ReactionSettings(ApiSettings):
    """Environment variables of ReactionFunction (docs/configuration.md, "Settings", lists each)."""

    cases_table_name: str = Field(alias="CASES_TABLE_NAME", min_length=1)
    audit_table_name: str = Field(alias="AUDIT_TABLE_NAME", min_length=1)
    failures_topic_arn: str = Field(alias="FAILURES_TOPIC_ARN", min_length=1)
    retention_days: int = Field(730, alias="RETENTION_DAYS", ge=1, le=3650)
    playbooks_parameter_name: str | None = Field(None, alias="PLAYBOOKS_PARAMETER_NAME")
    #: The SSM parameter overriding the shipped catalogue (the action per code and task kind).
    catalogue_parameter_name: str | None = Field(None, alias="CATALOGUE_PARAMETER_NAME")
    schedule_group_name: str = Field(alias="SCHEDULE_GROUP_NAME", min_length=1)
    schedule_target_arn: str = Field(alias="SCHEDULE_TARGET_ARN", min_length=1)
    scheduler_role_arn: str = Field(alias="SCHEDULER_ROLE_ARN", min_length=1)
    schedule_dlq_arn: str = Field(alias="SCHEDULE_DLQ_ARN", min_length=1)
    #: Scheduler's flexible window for attempts (template AttemptWindowMinutes).
    attempt_window_minutes: int = Field(0, alias="ATTEMPT_WINDOW_MINUTES", ge=0, le=1440)
    #: The silences the reaction alone writes (operators' `silence add|expire`); unset (a
    #: stack from before silences), silence requests are refused.
    silences_table_name: str | None = Field(None, alias="SILENCES_TABLE_NAME")
    expected_account_id: str | None = Field(None, alias="EXPECTED_ACCOUNT_ID", pattern=r"^\d{12}$")
    actor: str = Field("bwp-privacy-reaction", alias="AWS_LAMBDA_FUNCTION_NAME", min_length=1)
    #: InboundQueue's ARN, when Slack actions or PagerDuty webhooks are on: the records of
    #: that queue (their ``eventSourceARN``, which Lambda sets) are inbound actions.
    inbound_queue_arn: str | None = Field(None, alias="INBOUND_QUEUE_ARN")
    #: InboundQueue's dead-letter queue, which the reaction alone reads (an operator's
    #: `dlq redrive --queue inbound-dlq`: `bwp_privacy.reaction.inbound_redrive`).
    inbound_dlq_url: str | None = Field(None, alias="INBOUND_DLQ_URL")
    #: Where a Slack action's answer may be posted: its ``response_url`` must start with this.
    slack_response_url_prefix: str = Field(
        "https://hooks.slack.com/",
        alias="SLACK_RESPONSE_URL_PREFIX",
        pattern=r"^https?://[^/\s]+/\S*$",
    )
