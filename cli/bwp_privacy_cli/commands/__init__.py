"""The subcommands, one module each (main.py loads each only when it is used). They print;
the work is in the library modules beside this package (targets, dlq, event_runner)."""
