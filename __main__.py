"""The org-policies Pulumi program; everything is declared in stack config (see program/config.py)."""

from program import run

run()
