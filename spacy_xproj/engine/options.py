"""The command-line options every long command shares (``--engine``, ``--ray-address``, ...).

Each also reads an environment variable, so a whole workflow can switch engines without editing
its commands: ``XPROJ_ENGINE=ray XPROJ_WORKERS=2 spacy project run parallel``.
"""
from __future__ import annotations

import typer

ENGINE = typer.Option(
    "local", "--engine", envvar="XPROJ_ENGINE",
    help="local (this process) or ray (an actor pool on a Ray instance or cluster; needs the 'ray' extra).",
)
RAY_ADDRESS = typer.Option(
    None, "--ray-address", envvar="RAY_ADDRESS",
    help="--engine ray: the Ray cluster to join (default: a local Ray instance).",
)
WORKERS = typer.Option(
    1, "--workers", envvar="XPROJ_WORKERS", help="--engine ray: number of actors (each builds the component once)."
)
GPUS_PER_WORKER = typer.Option(
    0.0, "--gpus-per-worker", envvar="XPROJ_GPUS_PER_WORKER",
    help="--engine ray: GPUs per actor (e.g. 1 for translation and labelling; 0 for alignment with eflomal and projection).",
)
