"""``xproj bench``: projection throughput, peak memory and exact-vs-MILP agreement (offline)."""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import List, Optional

import typer

from ..atomic import atomic_write_text
from ..errors import ConfigError
from .app import app


def _split(value: str, allowed: tuple, what: str) -> List[str]:
    items = [x.strip() for x in value.split(",") if x.strip()]
    bad = [x for x in items if x not in allowed]
    if bad or not items:
        raise typer.BadParameter(f"{what} must be a comma-separated subset of {', '.join(allowed)}; got {value!r}")
    return items


def _max_lens(value: str) -> List[Optional[int]]:
    out: List[Optional[int]] = []
    for x in value.split(","):
        x = x.strip().lower()
        if x in ("inf", "none", "unbounded"):
            out.append(None)
        elif x.isdigit() and int(x) >= 1:
            out.append(int(x))
        else:
            raise typer.BadParameter(f"n-gram lengths must be positive integers or 'inf', got {x!r}")
    return out


def _range(value: str, what: str) -> tuple:
    try:
        lo, hi = (int(x) for x in value.split("-"))
    except ValueError:
        raise typer.BadParameter(f"{what} must look like 100-300, got {value!r}") from None
    if lo > hi or lo < 0:
        raise typer.BadParameter(f"{what}: need 0 <= low <= high, got {value!r}")
    return lo, hi


def _command(ctx: typer.Context) -> str:
    """The command as typed; rebuilt from the parsed options when not run from a shell."""
    import shlex
    import sys

    from ..bench.machine import command_line

    if "bench" in sys.argv[1:]:
        return command_line()
    parts = ["xproj bench"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if value is None or value == param.default or not param.opts:
            continue
        flag = max(param.opts, key=len)
        parts.append(flag if value is True else f"{flag} {shlex.quote(str(value))}")
    return " ".join(parts)


@app.command("bench")
def bench_command(
    ctx: typer.Context,
    sets: str = typer.Option("europarl,stress", "--sets", help="Input sets: europarl, stress."),
    methods: str = typer.Option(
        "heuristic,greedy,milp,exact", "--methods", help="Methods: heuristic, greedy, milp, exact."
    ),
    aligner: str = typer.Option(
        "eflomal", "--aligner", help="Europarl alignment: eflomal (falls back to diagonal if unavailable) or diagonal."
    ),
    europarl_dir: Optional[Path] = typer.Option(
        None, "--europarl-dir", help="Europarl-NER folder (default: $XPROJ_DATA_DIR/europarl_ner)."
    ),
    europarl_limit: Optional[int] = typer.Option(None, "--europarl-limit", help="Use only the first N pairs."),
    europarl_max_len: str = typer.Option("10", "--europarl-max-len", help="N-gram lengths for Europarl, e.g. 10,inf."),
    stress_sentences: int = typer.Option(20, "--stress-sentences", help="Synthetic long sentences."),
    stress_words: str = typer.Option("100-300", "--stress-words", help="Target length range."),
    stress_entities: str = typer.Option("10-20", "--stress-entities", help="Entities per sentence."),
    stress_max_len: str = typer.Option("10,inf", "--stress-max-len", help="N-gram lengths for the stress set."),
    milp_europarl: int = typer.Option(
        0, "--milp-europarl", help="MILP on the first N Europarl problems only (0 = all)."
    ),
    milp_stress: int = typer.Option(5, "--milp-stress", help="MILP on the first N stress problems (0 = all)."),
    max_milp_variables: int = typer.Option(
        20000, "--max-milp-variables", help="Skip the MILP when a sentence has more positive (entity, candidate) pairs."
    ),
    repeat: int = typer.Option(3, "--repeat", min=1, help="Repetitions per timed part (fastest reported)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthetic stress set."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the JSON report here."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log progress."),
) -> None:
    """Benchmark projection: sentences/s and peak memory (tracemalloc) of the heuristic and of
    candidate matching with the greedy, MILP and fast exact solvers on Europarl-NER en→de and a
    seeded synthetic stress set; n-gram extraction and align-score build times; exact-vs-MILP
    objective agreement. Prints the machine, versions and command; writes JSON with --output."""
    from ..bench.data import ALIGNERS
    from ..bench.projection import METHODS, BenchSettings, format_report, run_projection_bench

    if europarl_limit is not None and europarl_limit < 1:
        raise ConfigError(f"--europarl-limit must be at least 1 (leave it out for all pairs), got {europarl_limit}")
    if aligner not in ALIGNERS:
        raise typer.BadParameter(f"--aligner must be one of {', '.join(ALIGNERS)}")
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    settings = BenchSettings(
        sets=_split(sets, ("europarl", "stress"), "--sets"),
        methods=_split(methods, METHODS, "--methods"),
        europarl_dir=europarl_dir,
        aligner=aligner,
        europarl_limit=europarl_limit,
        europarl_max_lens=_max_lens(europarl_max_len),
        stress_sentences=stress_sentences,
        stress_words=_range(stress_words, "--stress-words"),
        stress_entities=_range(stress_entities, "--stress-entities"),
        stress_max_lens=_max_lens(stress_max_len),
        seed=seed,
        repeat=repeat,
        milp_max_sentences={"europarl": milp_europarl or None, "stress": milp_stress or None},
        max_milp_variables=max_milp_variables,
    )
    report = run_projection_bench(settings, command=_command(ctx))
    typer.echo(format_report(report))
    if output is not None:
        atomic_write_text(output, json.dumps(report, indent=2, sort_keys=False) + "\n")
        typer.echo(f"wrote {output}")
