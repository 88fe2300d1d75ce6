"""moto's server in a process of its own, as `python -m moto.server` runs it, with the
sandbox's additions (as LocalAws has them) and some of its costs per request cut (the same
answers, less CPU): the benchmark's "moto in its own process".

    python -m bench.moto_server --host 127.0.0.1 --port 5000

Why: one moto process serves every worker of a bulk replay, so its CPU per event caps the
rate the workers can reach together. Profiled under the recorder's three calls per event, most
of it went to three things that are bookkeeping, not AWS behaviour:

- `backends.list_of_moto_modules()`, called for every request to find its backend, lists
  moto's package directory each time (a directory listing and a stat per entry): listed once;
- `UpdateExpressionParser.make`, called twice per UpdateItem, tokenises and parses the same
  expression text every time: parsed once per text (callers only read the tree; the validator
  works on a deep copy of it);
- `ActionCountValidator`, which checks that an update expression has at most one SET, REMOVE
  and ADD clause, runs its check at every nested node of the expression, each check walking
  the whole subtree: quadratic in the number of actions (the recorder's mark sets about 20
  attributes). The root's check sees every clause, so it alone is kept;
- the tree walkers behind each update-expression check rebuild their table of node types at
  every node they visit (about 180,000 times for 150 such updates): built once per walker.

What is left is moto's own work (its request dispatch, expression checks and deep copies):
about 10 ms of CPU per DynamoDB call here, against 1-3 for each of the handler's own calls.
"""

from __future__ import annotations

import argparse
import functools
import importlib
from typing import Any


def speed_up_moto() -> None:
    """Apply the changes above (idempotent)."""
    backends: Any = importlib.import_module("moto.backends")
    expressions: Any = importlib.import_module("moto.dynamodb.parsing.expressions")
    validators: Any = importlib.import_module("moto.dynamodb.parsing.validators")
    nodes: Any = importlib.import_module("moto.dynamodb.parsing.ast_nodes")
    if getattr(backends, "_bench_fast", False):
        return
    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules

    parser = expressions.UpdateExpressionParser
    make = parser.make.__func__

    @functools.lru_cache(maxsize=256)
    def parse(text: str) -> Any:
        return make(parser, text)

    parser.make = classmethod(lambda cls, text: parse(text) if cls is parser else make(cls, text))

    counter = validators.ActionCountValidator
    check = counter.verify_action_counts

    def verify_at_the_root(self: Any, node: Any) -> Any:
        if isinstance(getattr(node, "parent", None), nodes.UpdateExpression):
            return node  # the root's check covers this subtree's clauses
        return check(self, node)

    counter.verify_action_counts = verify_at_the_root

    def processing(self: Any) -> dict[Any, Any]:
        try:
            table: dict[Any, Any] = self.__dict__["_bench_map"]
        except KeyError:
            table = self.__dict__["_bench_map"] = self._processing_map()
        return table

    def node_types(self: Any) -> tuple[Any, ...]:
        try:
            types: tuple[Any, ...] = self.__dict__["_bench_types"]
        except KeyError:
            types = self.__dict__["_bench_types"] = tuple(processing(self))
        return types

    def process(self: Any, node: Any) -> Any:
        for node_type, processor in processing(self).items():
            if isinstance(node, node_type):
                return processor(node)
        return None

    nodes.DepthFirstTraverser.nodes_to_be_processed = node_types
    nodes.DepthFirstTraverser.process = process
    backends._bench_fast = True


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.moto_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    # What the sandbox adds to moto (LocalAws installs the same in its own process): the
    # stack's partner event bus, DynamoDB's isolation, PartiQL inserts, the queues' rules,
    # CloudFormation.
    from bwp_sandbox import (
        cloudformation,
        dynamodb_isolation,
        partiql_insert,
        partner_sources,
        sqs_rules,
    )

    for module in (dynamodb_isolation, partiql_insert, partner_sources, sqs_rules, cloudformation):
        module.install()
    speed_up_moto()
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import run_simple

    class Handler(MotoRequestHandler):
        disable_nagle_algorithm = True

    # As moto.server runs it: threaded, one process.
    run_simple(
        args.host,
        args.port,
        DomainDispatcherApplication(create_backend_app),
        threaded=True,
        request_handler=Handler,
    )


if __name__ == "__main__":
    main()
