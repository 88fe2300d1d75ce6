"""What the stack costs a month, idle and per 1,000 failures (docs/cost.md, "What it costs").

- `counts`: what a configuration deploys, read from the template after the SAM transform,
  conditions and nested stacks included;
- `data`: the prices (`prices.toml`: region, date, source of each) and the usage assumptions
  (`usage.toml`: each figure with its reason);
- `model`: the cost lines, idle and for a month of failures;
- `report`: the Markdown block and the page's rewrite between its markers.

`python -m cost` prints the block, `make cost` writes it into docs/cost.md.
"""
