from bwp_privacy.bwp_api import AccessToken, TokenProvider
from bwp_privacy.bwp_api.token import EXPIRY_MARGIN_SECONDS


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_is_cached_until_shortly_before_expiry_and_invalidated_on_demand() -> None:
    clock = Clock()
    issued: list[str] = []

    def fetch(timeout: float | None) -> AccessToken:
        issued.append(f"t{len(issued) + 1}")
        return AccessToken(value=issued[-1], expires_at=clock.now + 900)

    tokens = TokenProvider(fetch, clock=clock)
    assert tokens.get() == "t1"
    clock.now += 900 - EXPIRY_MARGIN_SECONDS - 1
    assert tokens.get() == "t1"
    clock.now += 1
    assert tokens.get() == "t2"
    tokens.invalidate("t1")  # stale value: another caller already refreshed
    assert tokens.get() == "t2"
    tokens.invalidate("t2")
    assert tokens.get() == "t3"
    assert issued == ["t1", "t2", "t3"]
