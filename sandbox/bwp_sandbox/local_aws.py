"""The local AWS: a moto server on 127.0.0.1, reached over HTTP through AWS_ENDPOINT_URL."""

from __future__ import annotations

import logging

import requests
from moto.server import ThreadedMotoServer

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account


class LocalAws:
    """A moto server in a background thread; `env` points boto3 at it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
        self._url: str | None = None

    def start(self) -> LocalAws:
        """Start serving; returns self."""
        # One access-log line per AWS call drowns the demo and test output.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self._url = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stop serving."""
        self._server.stop()

    def __enter__(self) -> LocalAws:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL of the moto server."""
        if self._url is None:
            raise RuntimeError("LocalAws is not started")
        return self._url

    @property
    def env(self) -> dict[str, str]:
        """Environment for boto3: endpoint, region and dummy credentials."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
        }

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
