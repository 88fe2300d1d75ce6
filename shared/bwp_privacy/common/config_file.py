"""JSON configuration files (routes, playbooks, the catalogue): parsed and validated with
errors that name the file and the key, or the line for JSON syntax, so a broken file fails
loudly instead of quietly doing nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from bwp_privacy.common.errors import BwpPrivacyError
from bwp_privacy.common.validation import validation_problems

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.parameters import SSMProvider

M = TypeVar("M", bound=BaseModel)
C = TypeVar("C")

#: How long an SSM override is cached: a change reaches every warm function within 5 minutes.
CONFIG_MAX_AGE_SECONDS = 300


def parse_config(text: str, source: str, model: type[M], error: type[BwpPrivacyError]) -> M:
    """``text`` as a ``model``; raise ``error``, one line per problem, naming ``source``."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as problem:
        raise error(
            f"{source}: line {problem.lineno} column {problem.colno}: {problem.msg}"
        ) from None
    except RecursionError:
        raise error(f"{source}: JSON nested too deeply") from None
    try:
        return model.model_validate(raw)
    except ValidationError as invalid:
        problems = [
            f"{source}: {problem.path or '(top level)'}: {problem.message}"
            for problem in validation_problems(invalid)
        ]
        raise error("\n".join(problems)) from None


class ConfigSource(Generic[C]):
    """A config file shipped with the function, or its SSM override (re-read every 5 minutes).

    The text is parsed once per distinct value, so a warm function pays for validation only
    when an operator changes the parameter.
    """

    def __init__(
        self,
        load: Callable[[str, str], C],
        bundled: Path,
        parameter_name: str | None = None,
        ssm_client: Any | None = None,
    ) -> None:
        self._load = load
        self._bundled = bundled
        self._parameter = parameter_name
        self._ssm_client = ssm_client
        self._provider: SSMProvider | None = None
        self._cache: tuple[str, C] | None = None

    def get(self) -> C:
        """The current config; raises the loader's error (naming the key) if it is invalid."""
        if self._parameter:
            text = str(self._ssm().get(self._parameter, max_age=CONFIG_MAX_AGE_SECONDS))
            source = f"SSM parameter {self._parameter}"
        else:
            text = self._bundled.read_text() if self._cache is None else self._cache[0]
            source = str(self._bundled.name)
        if self._cache is None or self._cache[0] != text:
            self._cache = (text, self._load(text, source))
        return self._cache[1]

    def _ssm(self) -> SSMProvider:
        if self._provider is None:
            from aws_lambda_powertools.utilities.parameters import SSMProvider

            self._provider = SSMProvider(boto3_client=self._ssm_client)
        return self._provider
