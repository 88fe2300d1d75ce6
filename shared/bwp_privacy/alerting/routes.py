"""The routing tree (modelled on Alertmanager's), as data; the severity and runbook of each
error code come from the catalogue (`bwp_privacy.catalogue`).

A routes file is JSON. It is validated at load; every error names the key (or the line, for
JSON syntax) that is wrong, so a broken file fails loudly instead of routing to nowhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from bwp_privacy.alerting.alert import Runbook, Severity
from bwp_privacy.alerting.receivers import ReceiverName
from bwp_privacy.catalogue import Catalogue, Entry, refuse_moved_keys, shipped_catalogue
from bwp_privacy.common import BwpPrivacyError, Duration, duration_seconds, parse_config
from bwp_privacy.contract import CaseNotice, LookupStatus, TaskFailure

Label = Literal[
    "errorCode", "businessProductId", "lookupStatus", "severity", "detailType", "taskKind"
]


class RoutesError(BwpPrivacyError, ValueError):
    """The routes file is invalid; the message names the file and the key or line."""


def _regex(text: str) -> str:
    try:
        re.compile(text)
    except re.error as error:
        raise ValueError(f"is not a valid regular expression: {error}") from None
    return text


Regex = Annotated[str, AfterValidator(_regex)]


class Route(BaseModel):
    """A node of the tree: matchers, receivers, grouping, repeat window, child routes.

    Labels may hold several values (a task fails with several error codes). ``match`` and
    ``match_re`` hold when *every* value of the label is allowed, so a route for a quiet code
    never takes a task that also has a code needing a person; ``match_any`` holds when at
    least one value is listed.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str | None = Field(None, min_length=1, max_length=64)
    match: dict[Label, list[str]] = Field(default_factory=dict)
    match_any: dict[Label, list[str]] = Field(default_factory=dict)
    match_re: dict[Label, Regex] = Field(default_factory=dict)
    receivers: list[ReceiverName] = Field(default_factory=list)
    continue_: bool = Field(False, alias="continue")
    group_by: list[Label] | None = None
    repeat_window: Duration | None = None
    #: Whether the receivers of this route also get the resolve of a case they were alerted
    #: about (Alertmanager's ``send_resolved``). Unset: inherited from the parent route, and
    #: at the root each receiver's default (docs/alert-routing.md: "Alerts that follow the case").
    send_resolved: bool | None = None
    routes: list[Route] = Field(default_factory=list)

    def matches(self, labels: dict[str, list[str]]) -> bool:
        """Every matcher holds (see the class: every value, or any value for match_any)."""
        for label, wanted in self.match.items():
            values = set(labels.get(label, ()))
            if not values or not values <= set(wanted):
                return False
        for label, wanted in self.match_any.items():
            if not set(labels.get(label, ())) & set(wanted):
                return False
        for label, pattern in self.match_re.items():
            listed = labels.get(label, [])
            if not listed or not all(re.fullmatch(pattern, value) for value in listed):
                return False
        return True


#: The keys a routes file held before the catalogue took them (severities and runbooks).
MOVED_TO_CATALOGUE = ("severities", "defaultSeverity", "lookupErrorSeverity")


class RoutesFile(BaseModel):
    """The whole routes file: the routing tree, and nothing about the codes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    version: Literal[1]
    route: Route

    @model_validator(mode="before")
    @classmethod
    def _severities_live_in_the_catalogue(cls, raw: Any) -> Any:
        refuse_moved_keys(raw, MOVED_TO_CATALOGUE, cls.__name__)
        return raw

    @model_validator(mode="after")
    def _root_is_the_default_route(self) -> RoutesFile:
        if self.route.match or self.route.match_any or self.route.match_re:
            raise ValueError("route: the root route is the default route and takes no matchers")
        if not self.route.receivers:
            raise ValueError("route.receivers: the default route needs at least one receiver")
        if self.route.group_by is None or self.route.repeat_window is None:
            raise ValueError("route: the default route must set group_by and repeat_window")
        return self


@dataclass(frozen=True)
class RoutingConfig:
    """What the router routes by: the routing tree (routes.json) and the catalogue's
    severities and runbooks, one entry per error code."""

    route: Route
    catalogue: Catalogue

    def classify(self, failure: TaskFailure) -> tuple[Severity, list[Runbook]]:
        """Severity (the highest of the codes') and the runbooks that apply."""
        if failure.lookup.status is not LookupStatus.OK:
            rule: Entry = self.catalogue.lookup_failed
            return rule.severity, [_runbook(failure.lookup.status.value, rule)]
        rules = {code: self.catalogue.entry(code) for code in failure.error_codes}
        severity = max((rule.severity for rule in rules.values()), key=lambda s: s.rank)
        return severity, [_runbook(code, rule) for code, rule in rules.items()]

    def notice_severity(self, notice: CaseNotice) -> Severity:
        """A case notice's severity: its code's (CASE_ESCALATED, CASE_RESUBMISSION_DUE) when
        the catalogue lists it; else critical for an escalation, warning for an
        announcement."""
        rule = self.catalogue.codes.get(notice.code)
        if notice.kind == "ended":
            return Severity.INFO  # a resolve: its incident's severity no longer matters
        if rule is not None:
            return rule.severity
        return Severity.CRITICAL if notice.kind == "escalated" else Severity.WARNING

    def default_route(self) -> RouteMatch:
        """The root route, where alerts that match no child route end."""
        return RouteMatch(
            path="route",
            name=self.route.name or "default",
            receivers=tuple(self.route.receivers),
            group_by=tuple(self.route.group_by or ()),
            repeat_window_seconds=duration_seconds(self.route.repeat_window or "1d"),
            send_resolved=self.route.send_resolved,
        )

    def resolve(self, labels: dict[str, list[str]]) -> list[RouteMatch]:
        """The routes an alert with ``labels`` ends at, in order (Alertmanager semantics)."""
        return _walk(self.route, self.default_route(), labels)


@dataclass(frozen=True)
class RouteMatch:
    """A matched route with its inherited receivers, grouping and repeat window."""

    path: str
    name: str
    receivers: tuple[str, ...]
    group_by: tuple[str, ...]
    repeat_window_seconds: int
    #: None: each receiver's own default.
    send_resolved: bool | None = None


def _walk(node: Route, here: RouteMatch, labels: dict[str, list[str]]) -> list[RouteMatch]:
    found: list[RouteMatch] = []
    for index, child in enumerate(node.routes):
        if not child.matches(labels):
            continue
        path = f"{here.path}.routes[{index}]"
        inherited = RouteMatch(
            path=path,
            name=child.name or path,
            receivers=tuple(child.receivers) or here.receivers,
            group_by=tuple(child.group_by) if child.group_by is not None else here.group_by,
            repeat_window_seconds=duration_seconds(child.repeat_window)
            if child.repeat_window
            else here.repeat_window_seconds,
            send_resolved=here.send_resolved
            if child.send_resolved is None
            else child.send_resolved,
        )
        found.extend(_walk(child, inherited, labels))
        if not child.continue_:
            break
    return found or [here]


def _runbook(code: str, rule: Entry) -> Runbook:
    return Runbook(code=code, text=rule.runbook, url=rule.runbook_url)


def parse_routes(text: str, source: str) -> RoutesFile:
    """Parse and validate a routes file; raise RoutesError naming ``source`` and the key."""
    return parse_config(text, source, RoutesFile, RoutesError)


def load_routes(text: str, source: str, catalogue: Catalogue | None = None) -> RoutingConfig:
    """The routes file ``text`` with ``catalogue`` (default: the shipped one) for what the
    router routes by; raise RoutesError naming ``source`` and the key."""
    return RoutingConfig(parse_routes(text, source).route, catalogue or shipped_catalogue())
