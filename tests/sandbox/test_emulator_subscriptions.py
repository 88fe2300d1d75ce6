"""The emulator's event subscriptions (the events interface), driven over HTTP by the CLI's own
subscription client: what the docs say each call answers, the documented errors, the
permissions, and the partner event source a first subscription creates."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from pydantic import SecretStr

from bwp_privacy.bwp_api import (
    AccessDeniedApiError,
    BwpClient,
    ClientCredentials,
    ValidationApiError,
)
from bwp_privacy_cli.onboarding import (
    EVENT_TYPES,
    ApiEndpoints,
    Destination,
    SubscriptionError,
    Subscriptions,
    connect,
    missing_types,
)
from bwp_sandbox.emulator import BwpEmulator
from bwp_sandbox.emulator.graphql_api import CREATE_SUBSCRIPTIONS, PERMISSIONS, PRIVACY
from bwp_sandbox.emulator.subscriptions import Destination as Created

BP = "bp-30b55436-0000-4000-8000-000000000001"
OTHER_BP = "bp-30b55436-0000-4000-8000-000000000002"
HERE = Destination("123456789012", "us-east-1", "shop-one")


@pytest.fixture
def emulator() -> Iterator[BwpEmulator]:
    with BwpEmulator() as emu:
        yield emu


def client(emulator: BwpEmulator) -> BwpClient:
    credentials = ClientCredentials(
        client_id=emulator.client_id, client_secret=SecretStr(emulator.client_secret)
    )
    endpoints = ApiEndpoints(emulator.graphql_url, emulator.token_url, "2024-11-01", 2.0)
    return connect(endpoints, credentials)


def subscriptions(emulator: BwpEmulator, target: str = BP) -> Subscriptions:
    return Subscriptions(client(emulator), target)


def test_a_subscription_is_created_read_listed_and_deleted(emulator: BwpEmulator) -> None:
    api = subscriptions(emulator)
    made = [api.create(HERE, event_type) for event_type in EVENT_TYPES]
    assert all(made)
    found, total = api.list()
    assert total == 4
    assert [s.subscription_id for s in found] == made
    assert {s.event_type for s in found} == set(EVENT_TYPES)
    assert {s.destination_arn for s in found} == {
        "arn:aws:events:us-east-1::event-source/aws.partner/buywithprime/shop-one"
    }
    assert missing_types(found, HERE) == []
    assert made[0] is not None
    api.delete(made[0])
    left, total = api.list()
    assert total == 3
    assert missing_types(left, HERE) == [EVENT_TYPES[0]]
    # An unknown subscription id answers AccessDeniedError, as the docs say.
    with pytest.raises(AccessDeniedApiError):
        api.get(made[0])


def test_the_same_type_to_the_same_destination_again_is_already_done(
    emulator: BwpEmulator,
) -> None:
    api = subscriptions(emulator)
    first = api.create(HERE, EVENT_TYPES[0])
    assert first is not None
    assert api.create(HERE, EVENT_TYPES[0]) is None  # SubscriptionAlreadyExists
    assert [s.subscription_id for s in api.list()[0]] == [first]


def test_a_source_name_is_unique_across_buy_with_prime(emulator: BwpEmulator) -> None:
    assert subscriptions(emulator).create(HERE, EVENT_TYPES[0])
    with pytest.raises(SubscriptionError, match="the source name 'shop-one' is taken"):
        subscriptions(emulator, OTHER_BP).create(HERE, EVENT_TYPES[0])
    elsewhere = Destination("210987654321", "us-east-1", "shop-one")
    with pytest.raises(SubscriptionError, match="is taken"):
        subscriptions(emulator).create(elsewhere, EVENT_TYPES[0])


def test_an_invalid_event_type_answers_access_denied_and_a_bad_region_a_validation_error(
    emulator: BwpEmulator,
) -> None:
    api = client(emulator)

    def create(event_type: str, region: str) -> None:
        api.execute(
            "mutation { createEventSubscription(input: {destination: {eventBridge: {"
            f'region: "{region}", partnerEventSource: {{account: "123456789012", name: "n"}}'
            f'}}}}, eventType: "{event_type}"}}) {{ subscriptionId }} }}',
            {},
            BP,
        )

    with pytest.raises(AccessDeniedApiError):
        create("NOT_AN_EVENT", "us-east-1")
    with pytest.raises(ValidationApiError, match="region"):
        create(EVENT_TYPES[0], "mars-north-1")


def test_credentials_without_the_subscription_permission_are_refused(
    emulator: BwpEmulator,
) -> None:
    emulator.set_permissions(PERMISSIONS - {CREATE_SUBSCRIPTIONS})
    with pytest.raises(SubscriptionError, match="event-subscription permissions"):
        subscriptions(emulator).create(HERE, EVENT_TYPES[0])
    assert emulator.subscriptions_of(BP) == []
    emulator.set_permissions({PRIVACY})
    with pytest.raises(SubscriptionError, match="view permission"):
        subscriptions(emulator).list()


def test_the_first_subscription_to_a_destination_creates_its_source(
    emulator: BwpEmulator,
) -> None:
    created: list[Created] = []
    emulator.on_source_created(created.append)
    api = subscriptions(emulator)
    for event_type in EVENT_TYPES:
        api.create(HERE, event_type)
    assert [(d.account, d.region, d.source) for d in created] == [
        ("123456789012", "us-east-1", "aws.partner/buywithprime/shop-one")
    ]


def test_permissions_and_subscriptions_are_set_and_read_over_the_control_api(
    emulator: BwpEmulator,
) -> None:
    base = f"{emulator.base_url}/_control"
    answer = requests.post(f"{base}/permissions", json={"permissions": [PRIVACY]}, timeout=2)
    assert answer.json() == {"permissions": [PRIVACY]}
    assert emulator.permissions == {PRIVACY}
    unknown = requests.post(f"{base}/permissions", json={"permissions": ["ALL"]}, timeout=2)
    assert unknown.status_code == 400
    emulator.reset()
    assert subscriptions(emulator).create(HERE, EVENT_TYPES[1])
    listed = requests.get(f"{base}/subscriptions/{BP}", timeout=2).json()["subscriptions"]
    assert [s["eventSubscriptionDetails"]["eventType"] for s in listed] == [EVENT_TYPES[1]]


def test_values_are_held_to_their_grammar_before_any_request() -> None:
    with pytest.raises(SubscriptionError, match="12 digits"):
        Destination("12345", "us-east-1", "n")
    with pytest.raises(SubscriptionError, match="not one Buy with Prime sends to"):
        Destination("123456789012", 'us-east-1"}', "n")
    with pytest.raises(SubscriptionError, match="letters, digits"):
        Destination("123456789012", "us-east-1", 'n"){ injected')
    with pytest.raises(SubscriptionError, match="not a Buy with Prime partner event source"):
        Destination.of_source("aws.partner/other/n", "123456789012", "us-east-1")
