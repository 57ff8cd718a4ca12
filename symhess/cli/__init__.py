"""The ``symhess`` command line: :mod:`.main` (argparse front, ``main()``), :mod:`.args` (shared
options), the reports commands print, and one module per sub-command in :mod:`.commands`."""
