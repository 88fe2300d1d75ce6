"""The GraphQL endpoint's logic: schema from SDL, resolvers over a TaskStore, responses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.utilities import get_operation_ast

from bwp_sandbox.emulator.errors import BwpError, format_error
from bwp_sandbox.emulator.subscriptions import ACCESS_DENIED, SubscriptionStore
from bwp_sandbox.emulator.tasks import TaskStore

SCHEMA_PATH = Path(__file__).with_name("schema.graphql")

Response = dict[str, Any]
Resolver = Callable[..., Any]


#: What credentials may do, as the merchant console grants it (the identifiers are the
#: emulator's; the console shows "Manage Shopper Privacy Requests" and the event-subscription
#: permissions create, view and delete).
PRIVACY = "MANAGE_SHOPPER_PRIVACY_REQUESTS"
CREATE_SUBSCRIPTIONS = "CREATE_EVENT_SUBSCRIPTIONS"
VIEW_SUBSCRIPTIONS = "VIEW_EVENT_SUBSCRIPTIONS"
DELETE_SUBSCRIPTIONS = "DELETE_EVENT_SUBSCRIPTIONS"
PERMISSIONS = frozenset({PRIVACY, CREATE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS, DELETE_SUBSCRIPTIONS})


@dataclass(frozen=True)
class RequestContext:
    """What resolvers know about the request: the stores, the x-api-target-id header and
    what the caller's credentials may do."""

    tasks: TaskStore
    business_product_id: str | None
    subscriptions: SubscriptionStore = field(default_factory=SubscriptionStore)
    permissions: frozenset[str] = PERMISSIONS

    def target(self, permission: str = PRIVACY) -> str:
        """The business product id, or AccessDeniedError when the header is missing or the
        credentials lack ``permission``."""
        if not self.business_product_id:
            raise BwpError("AccessDeniedError", "Access denied: missing x-api-target-id header.")
        if permission not in self.permissions:
            raise BwpError("AccessDeniedError", ACCESS_DENIED)
        return self.business_product_id


Info = GraphQLResolveInfo[RequestContext]


def resolve_deletion_task(_root: object, info: Info, taskId: str) -> Any:
    """Query.personalDataDeletionTask."""
    context = info.context
    return context.tasks.get(context.target(), taskId)


def resolve_retrieval_task(_root: object, info: Info, taskId: str) -> Any:
    """Query.personalDataRetrievalTask."""
    context = info.context
    return context.tasks.get(context.target(), taskId, "retrieval")


def resolve_start(_root: object, info: Info, input: dict[str, Any]) -> Any:
    """Mutation.startPersonalDataDeletionTask."""
    context = info.context
    return {"taskId": context.tasks.start(context.target(), input)}


def resolve_start_retrieval(_root: object, info: Info, input: dict[str, Any]) -> Any:
    """Mutation.startPersonalDataRetrievalTask."""
    context = info.context
    return {"taskId": context.tasks.start(context.target(), input, "retrieval")}


def resolve_cancel(_root: object, info: Info, taskId: str) -> Any:
    """Mutation.cancelPersonalDataDeletionTask."""
    context = info.context
    context.tasks.cancel(context.target(), taskId)
    return {"taskId": taskId}


def resolve_create_subscription(_root: object, info: Info, input: dict[str, Any]) -> Any:
    """Mutation.createEventSubscription."""
    context = info.context
    target = context.target(CREATE_SUBSCRIPTIONS)
    return {"subscriptionId": context.subscriptions.create(target, input)}


def resolve_subscription(_root: object, info: Info, subscriptionId: str) -> Any:
    """Query.eventSubscription."""
    context = info.context
    return context.subscriptions.get(
        context.target(VIEW_SUBSCRIPTIONS), subscriptionId
    ).as_graphql()


def resolve_subscriptions(_root: object, info: Info) -> Any:
    """Query.eventSubscriptions: every one, in one page."""
    context = info.context
    found = context.subscriptions.list(context.target(VIEW_SUBSCRIPTIONS))
    return {
        "edges": [{"node": {"id": s.subscription_id}} for s in found],
        "totalCount": len(found),
    }


def resolve_delete_subscription(_root: object, info: Info, subscriptionId: str) -> Any:
    """Mutation.deleteEventSubscription."""
    context = info.context
    target = context.target(DELETE_SUBSCRIPTIONS)
    return {"subscriptionId": context.subscriptions.delete(target, subscriptionId)}


RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "personalDataDeletionTask": resolve_deletion_task,
        "personalDataRetrievalTask": resolve_retrieval_task,
        "eventSubscription": resolve_subscription,
        "eventSubscriptions": resolve_subscriptions,
    },
    "Mutation": {
        "startPersonalDataDeletionTask": resolve_start,
        "startPersonalDataRetrievalTask": resolve_start_retrieval,
        "cancelPersonalDataDeletionTask": resolve_cancel,
        "createEventSubscription": resolve_create_subscription,
        "deleteEventSubscription": resolve_delete_subscription,
    },
}


@cache
def load_schema() -> GraphQLSchema:
    """The SDL in schema.graphql with the resolvers attached."""
    schema = build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))
    for type_name, fields in RESOLVERS.items():
        object_type = schema.get_type(type_name)
        assert isinstance(object_type, GraphQLObjectType)
        for field_name, resolver in fields.items():
            object_type.fields[field_name].resolve = resolver
    destination = schema.get_type("EventSubscriptionDestination")
    assert isinstance(destination, GraphQLUnionType)
    # EventBridge is the one kind of destination there is.
    destination.resolve_type = lambda *_: "EventBridgeData"
    return schema


def execute(
    context: RequestContext,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
) -> Response:
    """Parse, validate and run one request; errors come back in the Buy with Prime shape."""
    schema = load_schema()
    try:
        document = parse(query)
    except GraphQLError as error:
        return {"errors": [format_error(error)]}
    problems = validate(schema, document)
    if problems:
        return {"errors": [format_error(problem) for problem in problems]}
    result = execute_sync(
        schema,
        document,
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
    )
    response: Response = {"data": result.data}
    if result.errors:
        response["errors"] = [format_error(error) for error in result.errors]
    return response


def fault_response(query: object, operation_name: str | None, error: BwpError) -> Response:
    """Answer every root field of the request with ``error``, as a failing resolver would."""
    fields = _root_fields(query, operation_name)
    if not fields:
        return {
            "data": None,
            "errors": [format_error(GraphQLError(str(error), original_error=error))],
        }
    keys = [(field.alias or field.name).value for field in fields]
    errors = [
        GraphQLError(str(error), nodes=field, path=[key], original_error=error)
        for field, key in zip(fields, keys, strict=True)
    ]
    return {"data": dict.fromkeys(keys), "errors": [format_error(e) for e in errors]}


def _root_fields(query: object, operation_name: str | None) -> list[FieldNode]:
    if not isinstance(query, str):
        return []
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLError:
        return []
    if operation is None:
        return []
    return [node for node in operation.selection_set.selections if isinstance(node, FieldNode)]
