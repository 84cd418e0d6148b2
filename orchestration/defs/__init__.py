"""One folder per domain, each with a `definitions.py` returning that domain's `dg.Definitions`."""
