"""Settings read from environment variables: one base for every function and the CLI.

Each feature declares its own settings model (`RecorderSettings`, `RouterSettings`, the API
client's `ApiSettings`) on this base: field aliases are the variable names, so an error names
the variable an operator has to fix.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError

from bwp_privacy.common.errors import BwpPrivacyError
from bwp_privacy.common.validation import validation_problems


class SettingsError(BwpPrivacyError, ValueError):
    """A setting is missing or invalid; the message names the environment variable."""


class EnvSettings(BaseModel):
    """Settings read from environment variables, with errors that name the variables."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read settings from ``environ`` (default os.environ); empty values count as unset."""
        source = os.environ if environ is None else environ
        values = {key: value for key, value in source.items() if value != ""}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            raise SettingsError(describe_settings_error(error)) from None

    @classmethod
    def variables(cls) -> tuple[str, ...]:
        """Every environment variable the model reads."""
        return tuple(str(field.alias) for field in cls.model_fields.values() if field.alias)


def describe_settings_error(error: ValidationError) -> str:
    """``missing setting X; setting Y: problem`` (a model-level rule is said as written)."""
    problems = []
    for problem in validation_problems(error):
        if problem.missing:
            problems.append(f"missing setting {problem.path}")
        elif problem.path:
            problems.append(f"setting {problem.path}: {problem.message}")
        else:
            problems.append(problem.message)
    return "; ".join(problems)
