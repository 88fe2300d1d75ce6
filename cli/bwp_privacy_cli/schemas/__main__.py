"""`python -m bwp_privacy_cli.schemas`: write every --json schema file (`make cli-schemas`)."""

from bwp_privacy_cli.schemas import write_all

for path in write_all():
    print(path)
