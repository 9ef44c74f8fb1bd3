"""Run a project.yml workflow (or a list of its commands) for many languages at once on Ray.

One Ray task per language runs the chain of commands (``python -m weasel run CMD DIR --vars.lang
LANG``) in that language's own project folder, ``RUNS/LANG/``, which links the project's
``project.yml``, ``configs/``, ``scripts/`` and ``assets/`` (plus any ``--link`` path, e.g. a
source NER trained once) so every language writes its own outputs and its own ``project.lock``.
Steps that every language shares (``--shared``, e.g. ``assets`` or ``source-train``) run once,
in the project folder, before the fan-out. When all languages have finished, one table reports
each language's status, time and the overall P/R/F1 of its metrics file (``--metrics``, a path
inside the language folder with ``{lang}`` filled in).

    python scripts/ray_languages.py --workflow parallel --langs hau,yor,swa \\
        --shared assets --shared source-train --link training \\
        --metrics "metrics/parallel/{lang}_parallel-candidates.json" --report reports/languages.md

``--ray-address`` (or RAY_ADDRESS) joins a cluster: then ``RUNS`` and the project folder must be
on storage every node sees (NFS), and the package must be installed on every node. Without it a
local Ray instance is started. ``--cpus-per-language`` / ``--gpus-per-language`` tell Ray what one
language's chain needs, so a cluster runs as many languages at once as it has room for.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

LINKED = ("project.yml", "configs", "scripts", "assets")


def workflow_commands(project_dir: Path, workflow: str) -> List[str]:
    """The command names of ``workflow`` in ``project_dir/project.yml``."""
    import srsly

    config = srsly.read_yaml(project_dir / "project.yml")
    workflows = config.get("workflows", {})
    if workflow not in workflows:
        raise SystemExit(f"project.yml has no workflow {workflow!r} (it has: {', '.join(sorted(workflows))})")
    return list(workflows[workflow])


def prepare_language_dir(project_dir: Path, runs: Path, lang: str, links: Sequence[str]) -> Path:
    """``RUNS/LANG`` with symlinks to the project's shared files (idempotent)."""
    folder = runs / lang
    folder.mkdir(parents=True, exist_ok=True)
    for name in (*LINKED, *links):
        source = (project_dir / name).resolve()
        target = folder / name
        if not source.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            continue
        os.symlink(source, target, target_is_directory=source.is_dir())
    return folder


def run_chain(folder: str, lang: str, commands: Sequence[str], variables: Dict[str, str]) -> Dict[str, Any]:
    """Run ``commands`` in ``folder`` for ``lang``; stop at the first failure. Logs to run.log."""
    start = time.time()
    log = Path(folder) / "run.log"
    done: List[str] = []
    status, failed = "ok", None
    with log.open("a", encoding="utf8") as fh:
        for command in commands:
            argv = [sys.executable, "-m", "weasel", "run", command, folder, f"--vars.lang={lang}"]
            argv += [f"--vars.{k}={v}" for k, v in variables.items()]
            fh.write(f"$ {' '.join(argv)}\n")
            fh.flush()
            rc = subprocess.call(argv, stdout=fh, stderr=subprocess.STDOUT, cwd=folder)
            if rc != 0:
                status, failed = f"failed (exit {rc})", command
                break
            done.append(command)
    return {"lang": lang, "status": status, "failed_command": failed, "commands": done,
            "seconds": round(time.time() - start, 1), "log": str(log)}


def read_metrics(folder: Path, pattern: Optional[str], lang: str) -> Dict[str, Any]:
    if not pattern:
        return {}
    path = folder / pattern.format(lang=lang)
    if not path.exists():
        return {}
    overall = json.loads(path.read_text(encoding="utf8")).get("overall", {})
    return {k: overall.get(k) for k in ("precision", "recall", "f1")}


def format_table(rows: Sequence[Dict[str, Any]]) -> str:
    def pct(x: Any) -> str:
        return "" if x is None else f"{100 * float(x):.1f}"

    lines = ["| language | status | minutes | P | R | F1 |", "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        status = r["status"] + (f" at `{r['failed_command']}`" if r.get("failed_command") else "")
        lines.append(
            f"| {r['lang']} | {status} | {r['seconds'] / 60:.1f} | {pct(r.get('precision'))} | "
            f"{pct(r.get('recall'))} | {pct(r.get('f1'))} |"
        )
    return "\n".join(lines) + "\n"


def run_languages(
    project_dir: Path,
    langs: Sequence[str],
    commands: Sequence[str],
    runs: Path,
    *,
    shared: Sequence[str] = (),
    links: Sequence[str] = (),
    variables: Optional[Dict[str, str]] = None,
    metrics: Optional[str] = None,
    cpus_per_language: float = 1.0,
    gpus_per_language: float = 0.0,
    address: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Run the shared steps once, then ``commands`` for every language as concurrent Ray tasks."""
    import ray

    variables = dict(variables or {})
    project_dir, runs = Path(project_dir).resolve(), Path(runs).resolve()
    for command in shared:  # once, in the project folder, before the fan-out
        argv = [sys.executable, "-m", "weasel", "run", command, str(project_dir)]
        argv += [f"--vars.{k}={v}" for k, v in variables.items()]
        if subprocess.call(argv, cwd=project_dir) != 0:
            raise SystemExit(f"the shared step {command!r} failed; no language was started")
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False)
    if __name__ != "__main__":  # imported from a path (a script folder is no package): ship by value
        ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    task = ray.remote(run_chain).options(num_cpus=cpus_per_language, num_gpus=gpus_per_language or None,
                                         max_retries=0)
    refs = []
    for lang in langs:
        folder = prepare_language_dir(project_dir, runs, lang, links)
        refs.append(task.remote(str(folder), lang, list(commands), variables))
    rows = ray.get(refs)
    for row in rows:
        row.update(read_metrics(runs / row["lang"], metrics, row["lang"]))
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--project-dir", type=Path, default=Path("."), help="folder with project.yml")
    ap.add_argument("--langs", required=True, help="comma-separated languages (the `lang` var)")
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--workflow", help="workflow of project.yml to run per language")
    group.add_argument("--commands", help="comma-separated project commands to run per language")
    ap.add_argument("--shared", action="append", default=[], help="command run once before the fan-out (repeatable; removed from the per-language chain)")
    ap.add_argument("--link", action="append", default=[], help="extra project path linked into every language folder (repeatable)")
    ap.add_argument("--runs", type=Path, default=Path("runs"), help="parent of the per-language folders")
    ap.add_argument("--var", action="append", default=[], help="extra project var KEY=VALUE (repeatable)")
    ap.add_argument("--metrics", help="metrics JSON inside a language folder, with {lang}, for the table")
    ap.add_argument("--report", type=Path, help="write the table (Markdown) here as well")
    ap.add_argument("--cpus-per-language", type=float, default=1.0)
    ap.add_argument("--gpus-per-language", type=float, default=0.0)
    ap.add_argument("--ray-address", default=os.environ.get("RAY_ADDRESS"), help="Ray cluster (default: RAY_ADDRESS, else a local instance)")
    args = ap.parse_args(argv)

    langs = [l.strip() for l in args.langs.split(",") if l.strip()]
    if args.workflow:
        commands = workflow_commands(args.project_dir, args.workflow)
    else:
        commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    commands = [c for c in commands if c not in args.shared]
    variables = dict(v.split("=", 1) for v in args.var)
    rows = run_languages(
        args.project_dir, langs, commands, args.runs, shared=args.shared, links=args.link,
        variables=variables, metrics=args.metrics, cpus_per_language=args.cpus_per_language,
        gpus_per_language=args.gpus_per_language, address=args.ray_address,
    )
    table = format_table(rows)
    print(table, end="")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(table, encoding="utf8")
    return 0 if all(r["status"] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
