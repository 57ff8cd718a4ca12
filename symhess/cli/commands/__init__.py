"""Sub-commands of the ``symhess`` CLI, one module each (see :mod:`symhess.cli.main`)."""
