"""The Buy with Prime API emulator: a real HTTP server (`server`) over an in-memory task
store (`tasks`), the GraphQL schema and resolvers (`graphql_api`, `schema.graphql`), the
API's error shapes (`errors`) and injectable faults (`faults`), driven by a control API
(`core`). ``python -m bwp_sandbox.emulator --port 8787`` runs it alone."""

from bwp_sandbox.emulator.server import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, BwpEmulator

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_CLIENT_SECRET", "BwpEmulator"]
