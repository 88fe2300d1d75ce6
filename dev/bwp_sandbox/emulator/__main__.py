"""`python -m bwp_sandbox.emulator`: see `bwp_sandbox.emulator.server`."""

from bwp_sandbox.emulator.server import main

main()
