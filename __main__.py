"""The org-policies Pulumi program; everything is declared in stack config (see program/config.py).

``main`` runs it as the Pulumi CLI expects: each error printed once (see program/entry.py)."""

from program import main

main()
