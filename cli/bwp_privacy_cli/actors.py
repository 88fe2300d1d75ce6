"""Short names for the actors of a case's steps, shared by every view that lists them (the
report, `cases show`): an operator's full identity is an STS ARN as long as a line
(``arn:aws:sts::123456789012:assumed-role/Operator/root``), which would take a table's room
from what each step did. A view names each actor briefly and gives each full identity once."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["actor_names"]

#: An IAM or STS ARN: its partition, service, account and resource (``user/ops/alice``,
#: ``role/Name``, ``assumed-role/Role/session``, ``root``).
_ARN = re.compile(r"arn:[^:]+:(?:iam|sts):[^:]*:(?P<account>[0-9]*):(?P<resource>[^:]+)")


def actor_names(actors: Iterable[str]) -> dict[str, str]:
    """Each actor's full identity to a short name for the steps it took: an ARN's last part
    (a user's or role's name, an assumed role's session: the person signed in or the
    function), anything else whole (a function's name already is short). Two identities
    that would share a name are both named by more of their ARN (``Operator/root``,
    ``Admin/root``), then their account, then in full: no short name stands for two. A view
    lists every identity once beside its short name, so nothing is lost."""
    choices = {actor: _names(actor) for actor in sorted(set(actors)) if actor}
    level = dict.fromkeys(choices, 0)
    while True:
        named = {actor: choices[actor][level[actor]] for actor in choices}
        taken: dict[str, int] = {}
        for name in named.values():
            taken[name] = taken.get(name, 0) + 1
        # Only the identities that can still say more move on: distinct identities always
        # end distinct, their last name being themselves.
        clashing = [
            actor
            for actor, name in named.items()
            if taken[name] > 1 and level[actor] < len(choices[actor]) - 1
        ]
        if not clashing:
            return named
        for actor in clashing:
            level[actor] += 1


def _names(actor: str) -> list[str]:
    """The names ``actor`` may go by, the shortest first; the last is the actor itself."""
    arn = _ARN.fullmatch(actor)
    if arn is None:
        return [actor]
    parts = arn["resource"].split("/")
    # From the last part (the name) outwards; a resource's type (user, role, assumed-role)
    # is left out until the whole resource is needed.
    names = ["/".join(parts[start:]) for start in range(len(parts) - 1, 0, -1)]
    names += [arn["resource"], f"{arn['account']}:{arn['resource']}", actor]
    return list(dict.fromkeys(name for name in names if name))
