"""The command-line options every long command shares (``--engine``, ``--ray-address``, ...)."""
from __future__ import annotations

import typer

ENGINE = typer.Option("local", "--engine", help="local (this process) or ray (an actor pool on a Ray instance or cluster; needs the 'ray' extra).")
RAY_ADDRESS = typer.Option(None, "--ray-address", envvar="RAY_ADDRESS", help="Ray cluster to join (default: RAY_ADDRESS, else a local Ray instance).")
WORKERS = typer.Option(1, "--workers", help="--engine ray: number of actors (each builds the component once).")
GPUS_PER_WORKER = typer.Option(0.0, "--gpus-per-worker", help="--engine ray: GPUs per actor (e.g. 1 for translation/labelling; 0 for projection).")
