"""The local AWS: a moto server on 127.0.0.1, reached over HTTP through AWS_ENDPOINT_URL,
with IAM enforced for the functions' roles (`bwp_sandbox.iam`)."""

from __future__ import annotations

import logging
import socket
import threading

import requests
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

from bwp_sandbox import (
    cloudformation,
    dynamodb_isolation,
    partiql_insert,
    partner_sources,
    sqs_rules,
)
from bwp_sandbox.account_settings import AccountSettings
from bwp_sandbox.admin import ADMIN_CREDENTIALS
from bwp_sandbox.function_urls import PREFIX as FUNCTION_URL_PREFIX
from bwp_sandbox.function_urls import FunctionUrls
from bwp_sandbox.iam import IamEnforcer, MotoResources

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


class LocalAws:
    """A moto server in a background thread; `env` points boto3 at it, `iam` enforces roles."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._host = host
        self._port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        dynamodb_isolation.install()  # first: the wrappers below run under its lock
        partiql_insert.install()
        partner_sources.install()
        sqs_rules.install()
        cloudformation.install()
        self.iam = IamEnforcer(DomainDispatcherApplication(create_backend_app), MotoResources())
        #: The functions' URLs (AuthType AWS_IAM), which moto does not serve.
        self.function_urls = FunctionUrls(self.iam, region=REGION)

    def start(self) -> LocalAws:
        """Start serving; returns self."""
        # One access-log line per AWS call drowns the demo and test output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        _check_free(self._host, self._port)
        self._server = make_server(
            self._host,
            self._port,
            AccountSettings(self.function_urls),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the moto server."""
        if self._server is None:
            raise RuntimeError("LocalAws is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def env(self) -> dict[str, str]:
        """Environment for boto3: endpoint, region and the sandbox's own credentials."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            **ADMIN_CREDENTIALS,
        }

    def function_url(self, name: str) -> str:
        """Where the sandbox serves ``name``'s function URL (`FunctionUrls`)."""
        return f"{self.url}{FUNCTION_URL_PREFIX}{name}/"

    def hidden_for(self, queue_url: str) -> list[float]:
        """Seconds until each message of a queue that is out of sight becomes visible again.

        What SQS does not tell over its API (visibility is per message): read from moto's own
        state, so a test can check a visibility timeout without waiting it out.
        """
        from moto.core.utils import unix_time_millis
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[ACCOUNT_ID][REGION].queues[queue_url.rstrip("/").rsplit("/", 1)[-1]]
        now = unix_time_millis()
        return sorted(
            (message.visible_at - now) / 1000
            for message in queue._messages
            if message.visible_at > now
        )

    def reset(self) -> None:
        """Forget every resource (moto's reset API) and every role and IAM record."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        self.iam.reset()
        self.function_urls.reset()


def _check_free(host: str, port: int) -> None:
    """Raise OSError(EADDRINUSE) for a port in use: werkzeug would print and exit instead."""
    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
        probe.bind((host, port))
