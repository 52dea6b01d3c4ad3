"""Paper-table builders: `python -m avtool.tables.<name> --workdir build/<name>`."""
