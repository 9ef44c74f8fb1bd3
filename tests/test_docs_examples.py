"""Every code example of the README and of docs/*.md runs as written.

Blocks fenced as ```python or ```bash are executed, each on its own, in a fresh scratch folder that
holds symlinks to the repository's ``configs/``, ``scripts/``, ``project.yml`` and ``assets/``, with
``XPROJ_DATA_DIR`` pointing at the datasets and this interpreter's ``bin`` folder first on ``PATH``
(so ``python`` and ``xproj`` are the ones under test). Blocks fenced as ```text (outputs, commands
that need a GPU or the Hugging Face hub, templates with placeholder names) are not executed.

Examples must run offline on a CPU; each gets ``EXAMPLE_TIMEOUT`` seconds.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List, NamedTuple

import pytest

REPO = Path(__file__).resolve().parents[1]
LINKED = ("configs", "scripts", "project.yml", "assets")
EXAMPLE_TIMEOUT = 600
FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
EXECUTED = ("python", "bash")


class Block(NamedTuple):
    path: Path
    line: int
    lang: str
    code: str
    output: str = ""  # a ```text block that directly follows (only blank lines between)

    @property
    def id(self) -> str:
        return f"{self.path.relative_to(REPO)}:{self.line}"


def doc_files() -> List[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def code_blocks(path: Path) -> List[Block]:
    """The fenced blocks of a Markdown file (top-level fences only), with their first line."""
    text = path.read_text(encoding="utf-8")
    matches = list(FENCE.finditer(text))
    blocks = []
    for k, m in enumerate(matches):
        nxt = matches[k + 1] if k + 1 < len(matches) else None
        follows = nxt is not None and nxt.group(1).lower() == "text" and not text[m.end():nxt.start()].strip()
        blocks.append(
            Block(path, text.count("\n", 0, m.start()) + 1, m.group(1).lower(), m.group(2),
                  nxt.group(2) if follows else "")
        )
    return blocks


def executed_blocks() -> List[Block]:
    return [b for f in doc_files() for b in code_blocks(f) if b.lang in EXECUTED]


def test_fence_parser_finds_blocks(tmp_path: Path) -> None:
    md = tmp_path / "x.md"
    md.write_text("intro\n\n```python\nprint(1)\n```\n\ntext\n```text\nout\n```\n```bash\necho hi\n```\n")
    blocks = code_blocks(md)
    assert [(b.lang, b.line, b.code) for b in blocks] == [
        ("python", 3, "print(1)\n"), ("text", 8, "out\n"), ("bash", 11, "echo hi\n")
    ]
    assert blocks[0].output == ""  # prose between: not the block's output
    md.write_text("```python\nprint(1)\n```\n\n```text\n1\n```\n")
    assert code_blocks(md)[0].output == "1\n"


def test_every_block_has_a_language() -> None:
    """An unmarked fence would silently be skipped: every block says python, bash, text, ..."""
    unmarked = [b.id for f in doc_files() for b in code_blocks(f) if not b.lang]
    assert not unmarked, f"code blocks without a language (use ```text for output): {unmarked}"


def test_the_docs_have_examples() -> None:
    ids = [b.id for b in executed_blocks()]
    assert any(i.startswith("README.md:") for i in ids)
    assert sum(b.lang == "python" for b in executed_blocks()) >= 3
    assert sum(b.lang == "bash" for b in executed_blocks()) >= 3


@pytest.fixture()
def scratch(tmp_path: Path, data_root: Path) -> Path:
    for name in LINKED:
        if (REPO / name).exists():
            (tmp_path / name).symlink_to(REPO / name)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("block", executed_blocks(), ids=lambda b: b.id)
def test_example_runs(block: Block, scratch: Path, data_root: Path) -> None:
    env = dict(os.environ)
    env["XPROJ_DATA_DIR"] = str(data_root.resolve())
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env["XPROJ_PROGRESS"] = "off"
    if block.lang == "python":
        script = scratch / "example.py"
        script.write_text(block.code, encoding="utf-8")
        cmd = [sys.executable, str(script)]
    else:
        script = scratch / "example.sh"
        script.write_text("set -euo pipefail\n" + block.code, encoding="utf-8")
        cmd = ["bash", str(script)]
    try:
        res = subprocess.run(cmd, cwd=scratch, env=env, capture_output=True, text=True, timeout=EXAMPLE_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{block.id}: the example ran over {EXAMPLE_TIMEOUT} s")
    assert res.returncode == 0, (
        f"{block.id} failed (exit {res.returncode})\n--- code ---\n{block.code}\n--- stdout ---\n"
        f"{res.stdout[-3000:]}\n--- stderr ---\n{res.stderr[-3000:]}"
    )
    if block.path.name == "README.md" and block.output:
        # the README shows what its examples print: every line of the output block must appear
        printed = {line.rstrip() for line in res.stdout.splitlines()}
        missing = [line for line in block.output.splitlines() if line.strip() and line.rstrip() not in printed]
        assert not missing, f"{block.id} no longer prints {missing}; it printed:\n{res.stdout[-3000:]}"
