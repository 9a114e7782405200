"""The `mtf-mods` subcommands, one module each.

A module here is a subcommand named after it (underscores become dashes).
It defines `HELP` (one line) and `main(argv)`; `mtf_mods.cli` finds it.
"""
