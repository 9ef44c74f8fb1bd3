"""The ``xproj`` command line (typer). One module per command group."""
