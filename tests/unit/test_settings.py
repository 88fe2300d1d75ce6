import pytest

from bwp_privacy.bwp_api import DEFAULT_API_VERSION
from bwp_privacy.common import SettingsError
from bwp_privacy.recorder import RecorderSettings

BASE = {
    "FAILURES_TABLE_NAME": "failures",
    "FAILURES_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:failures",
    "BWP_CREDENTIALS_SECRET_ID": "bwp/credentials",
}


def test_defaults_and_values() -> None:
    settings = RecorderSettings.from_env(BASE)
    assert settings.api_version == DEFAULT_API_VERSION
    assert settings.retention_days == 730
    assert settings.failures_table_name == "failures"


def test_every_missing_setting_is_named() -> None:
    with pytest.raises(SettingsError) as caught:
        RecorderSettings.from_env({"FAILURES_TABLE_NAME": ""})
    message = str(caught.value)
    for name in ("FAILURES_TABLE_NAME", "FAILURES_TOPIC_ARN"):
        assert f"missing setting {name}" in message


def test_credentials_source_is_required() -> None:
    environ = {k: v for k, v in BASE.items() if k != "BWP_CREDENTIALS_SECRET_ID"}
    with pytest.raises(SettingsError, match="set BWP_CREDENTIALS_SECRET_ID, or BWP_CLIENT_ID"):
        RecorderSettings.from_env({**environ, "BWP_CLIENT_ID": "id"})
    local = RecorderSettings.from_env(
        {**environ, "BWP_CLIENT_ID": "id", "BWP_CLIENT_SECRET": "s3cr3t"}
    )
    assert "s3cr3t" not in repr(local)


def test_invalid_values_name_the_variable() -> None:
    with pytest.raises(
        SettingsError, match="setting RETENTION_DAYS: Input should be a valid integer"
    ):
        RecorderSettings.from_env({**BASE, "RETENTION_DAYS": "forever"})
