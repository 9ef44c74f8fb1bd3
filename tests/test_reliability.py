"""Faults chosen from outside: kills while a batch is written, concurrent writers, OS and decoding
errors, symlinks at temp names, bad option values, 1,024-token sentences, huge pairs, NaN scores,
changed settings on resume. Each test names the row of the reliability table it checks
(docs/reliability.md)."""
from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Dict, List, Optional

import pytest
from conftest import require_module

from resume_util import REPO, cli_env
from spacy_xproj.atomic import OutputLock, atomic_write_text
from spacy_xproj.cli.app import main
from spacy_xproj.corpus.jsonl import PairAppender, dumps_pair, read_pairs, write_pairs
from spacy_xproj.errors import InputError
from spacy_xproj.types import Alignment, Entity, Pair, Side


def pair(i: int, n: int = 4) -> Pair:
    words = ["John", "met", "Mary", "in", "Kano", "today"][:n] + [f"w{k}" for k in range(max(0, n - 6))]
    return Pair(
        f"p{i}",
        Side("en", list(words), [Entity(0, 1, "PER"), Entity(2, 3, "PER")] if n >= 3 else []),
        Side("de", list(words)),
        Alignment([(k, k) for k in range(n)]),
    )


def run_main(args: List[str], capsys) -> tuple:
    """Run the ``xproj`` entry point in-process: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def assert_one_error_line(code: int, err: str, *words: str) -> None:
    assert code != 0
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, err
    for w in words:
        assert w in errors[0], errors[0]


def _xproj_env(cache: Path) -> Dict[str, str]:
    env = cli_env()
    env["XPROJ_CACHE_DIR"] = str(cache)
    return env


# ------------------------------------------------------------------------------------------------
# Row: `xproj align` killed while a batch is being written (eflomal; batch membership)

EFLOMAL_CFG = """
[aligner]
@xproj_aligners = "spacy-xproj.Eflomal.v1"
rel_iterations = 0.05
seed = 3
"""


@pytest.fixture(scope="module")
def mafand_pairs(tmp_path_factory, mafand_dir: Path) -> Path:
    import itertools

    from spacy_xproj.corpus.mafand import read_mafand

    path = tmp_path_factory.mktemp("rel") / "pairs.jsonl"
    write_pairs(path, itertools.islice(read_mafand(mafand_dir / "en-hau" / "train.jsonl", "en", "hau"), 240))
    return path


@pytest.mark.slow
def test_align_killed_while_a_batch_is_written_resumes_byte_identically(tmp_path: Path, mafand_pairs: Path) -> None:
    require_module("eflomal")
    cfg = tmp_path / "eflomal.cfg"
    cfg.write_text(EFLOMAL_CFG, encoding="utf8")
    env = _xproj_env(tmp_path / "cache")
    batch = 20
    # Large records (a 100 kB note in meta, carried through) make writing a batch take long
    # enough to be caught part way.
    padded = tmp_path / "padded.jsonl"
    write_pairs(padded, (Pair(p.id, p.src, p.tgt, None, {"note": "x" * 100_000})
                         for p in list(read_pairs(mafand_pairs))[:120]))

    def args(out: Path) -> List[str]:
        # Every batch is its own corpus: eflomal's links depend on which pairs share a batch.
        return [sys.executable, "-m", "spacy_xproj", "align", str(padded), str(out), "--config", str(cfg),
                "--batch-size", str(batch), "--no-init-input", "--no-progress"]

    full = tmp_path / "full.jsonl"
    r = subprocess.run(args(full), cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    n_full = full.read_bytes().count(b"\n")

    part = tmp_path / "part.jsonl"
    proc = subprocess.Popen(args(part), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # The moment: watch the output grow and kill as soon as it holds part of a batch (a cut line
    # or a number of lines that is not a whole number of batches). If that is never seen, kill at
    # the first growth after the first batch (just written, perhaps not yet committed).
    deadline = time.monotonic() + 300
    lines, last, torn_seen, first_size = 0, b"\n", False, 0
    try:
        while not part.exists():
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline
        with part.open("rb") as fh:
            while True:
                chunk = fh.read()
                if chunk:
                    lines += chunk.count(b"\n")
                    last = chunk[-1:]
                    if last != b"\n" or lines % batch:
                        torn_seen = True
                        break
                    if first_size and fh.tell() > first_size and lines >= n_full - batch:
                        break  # never caught part way: kill before the last batch
                    first_size = first_size or fh.tell()
                assert proc.poll() is None, "the run ended before it could be killed"
                assert time.monotonic() < deadline
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert 0 < part.stat().st_size < full.stat().st_size
    r = subprocess.run(args(part), cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert part.read_bytes() == full.read_bytes(), f"killed part way through a batch: {torn_seen}"


# ------------------------------------------------------------------------------------------------
# Row: SIGKILL / SIGTERM of `xproj align` (the eflomal child and the temp folders)

SLOW_CFG = """
[aligner]
@xproj_aligners = "spacy-xproj.Eflomal.v1"
n_iterations = [20000, 20000, 20000]
seed = 3
"""


def _children(pid: int) -> List[int]:
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    kids.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")
    except OSError:
        return True


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_killed_align_leaves_no_child_and_no_temp_folder(tmp_path: Path, mafand_pairs: Path, sig: int, monkeypatch) -> None:
    require_module("eflomal")
    cfg = tmp_path / "slow.cfg"
    cfg.write_text(SLOW_CFG, encoding="utf8")
    cache = tmp_path / "cache"
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "spacy_xproj", "align", str(mafand_pairs), str(out), "--config", str(cfg),
         "--no-progress"], cwd=REPO, env=_xproj_env(cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        kids: List[int] = []
        while not kids:
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "eflomal never started"
            kids = _children(proc.pid)
            time.sleep(0.05)
        runs = cache / "runs"
        assert any(runs.iterdir())  # the scratch folder of the eflomal step exists
        proc.send_signal(sig)
        proc.wait(timeout=30)
        for _ in range(100):
            if all(_gone(k) for k in kids):
                break
            time.sleep(0.05)
        assert all(_gone(k) for k in kids), "the eflomal child outlived xproj"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if sig == signal.SIGTERM:
        assert proc.returncode == 143
        assert not any(runs.iterdir())  # removed on the way out
        assert b"Traceback" not in proc.stderr.read()
    else:
        # A SIGKILLed run cannot clean up; the next run's start sweeps its folder away.
        from spacy_xproj.procs import scratch_dir

        monkeypatch.setenv("XPROJ_CACHE_DIR", str(cache))
        with scratch_dir("probe") as mine:
            left = [p for p in runs.iterdir() if p != mine]
        assert left == []


# ------------------------------------------------------------------------------------------------
# Rows: two runs writing the same output (project, convert)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["project", "convert"])
def test_second_writer_of_an_output_is_refused_naming_the_holder(tmp_path: Path, command: str) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [pair(i) for i in range(5)])
    out = tmp_path / "out.jsonl"
    extra = ["--method", "heuristic", "--no-progress"] if command == "project" else ["--from", "pairs", "--to", "pairs"]
    with OutputLock(out):  # another run (this test process) is writing OUT
        r = subprocess.run([sys.executable, "-m", "spacy_xproj", command, str(src), str(out), *extra],
                           cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=120)
        assert r.returncode == 1
        assert_one_error_line(r.returncode, r.stderr, f"process {os.getpid()}", str(out))
        assert not out.exists()
    r = subprocess.run([sys.executable, "-m", "spacy_xproj", command, str(src), str(out), *extra],
                       cwd=REPO, env=cli_env(), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert [p.id for p in read_pairs(out)] == [f"p{i}" for i in range(5)]  # each record once
    assert not Path(str(out) + ".lock").exists()


@pytest.mark.slow
def test_concurrent_project_runs_never_duplicate_records(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [pair(i, 6) for i in range(3000)])
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "spacy_xproj", "project", str(src), str(out), "--no-progress", "--batch-size", "50"]
    procs = [subprocess.Popen(cmd, cwd=REPO, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    results = [p.communicate(timeout=300) + (p.returncode,) for p in procs]
    codes = sorted(r[2] for r in results)
    assert codes[0] == 0
    ids = [p.id for p in read_pairs(out)]
    assert ids == [f"p{i}" for i in range(3000)]  # whichever order they ran in: each record once
    for _, err, code in results:
        if code != 0:
            assert_one_error_line(code, err, "being written by process")


# ------------------------------------------------------------------------------------------------
# Row: whole-file writes through a unique temp file, never following a symlink


def test_whole_file_writes_never_follow_a_symlink_or_replace_a_users_tmp_file(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf8")
    out = tmp_path / "out.jsonl"
    Path(str(out) + ".tmp").symlink_to(victim)
    write_pairs(out, [pair(0)])
    assert victim.read_text(encoding="utf8") == "precious"
    mine = tmp_path / "report.json.tmp"
    mine.write_text("my notes", encoding="utf8")
    atomic_write_text(tmp_path / "report.json", "{}\n")
    assert mine.read_text(encoding="utf8") == "my notes"
    assert (tmp_path / "report.json").read_text(encoding="utf8") == "{}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "out.jsonl.tmp", "report.json",
                                                          "report.json.tmp", "victim.txt"]


# ------------------------------------------------------------------------------------------------
# Row: invalid UTF-8, damaged .gz, missing input, folders, full disk, read-only folder, deep JSON


@pytest.fixture()
def bad_inputs(tmp_path: Path) -> Dict[str, Path]:
    good = dumps_pair(pair(0)).encode("utf8") + b"\n"
    files = {
        "utf8_pairs": good + b'{"id": "p1", "src": {"lang": "en", "words": ["\xff\xfe"]}}\n',
        "utf8_mafand": json.dumps({"translation": {"en": "Hi", "hau": "Sannu"}}).encode() + b"\n" + b"\xc3\x28\n",
        "utf8_text.txt": b"Hello there\n\xff bad\n",
        "deep_pairs": good + b"[" * 100_000 + b"\n",
        "nan_pairs": good + dumps_pair(pair(1)).replace('"alignment":[[0,0]', '"alignment":[[0,0,NaN]').encode() + b"\n",
    }
    paths = {}
    for name, data in files.items():
        path = tmp_path / (name if "." in name else name + ".jsonl")
        path.write_bytes(data)
        paths[name] = path
    fake = tmp_path / "fake.jsonl.gz"
    fake.write_bytes(b"this is not gzip at all\n")
    paths["fake_gz"] = fake
    trunc = tmp_path / "trunc.jsonl.gz"
    blob = gzip.compress(b"".join(json.dumps({"translation": {"en": f"Hi {i}", "hau": f"Sannu {i}"}}).encode() + b"\n"
                                  for i in range(2000)))
    trunc.write_bytes(blob[: len(blob) // 2])
    paths["trunc_gz"] = trunc
    paths["folder"] = tmp_path
    paths["missing"] = tmp_path / "no-such-file.jsonl"
    return paths


BAD_INPUT_CASES = [
    ("project {utf8_pairs} OUT --no-progress", ["utf8_pairs.jsonl", "line 2", "UTF-8"]),
    ("convert {utf8_mafand} OUT --from mafand --to pairs --tgt-lang hau --no-progress", ["utf8_mafand.jsonl", "line 2", "UTF-8"]),
    ("translate {utf8_text} OUT --model nonexistent-model --tgt hau --direction src2tgt --no-progress",
     ["utf8_text.txt", "line 2", "UTF-8"]),
    ("convert {fake_gz} OUT --from mafand --to pairs --tgt-lang hau --no-progress", ["fake.jsonl.gz", "damaged or truncated"]),
    ("convert {trunc_gz} OUT --from mafand --to pairs --tgt-lang hau --no-progress", ["trunc.jsonl.gz", "damaged or truncated"]),
    ("project {missing} OUT --no-progress", ["no-such-file.jsonl"]),
    ("convert {missing} OUT --from pairs --to pairs --no-progress", ["no-such-file.jsonl"]),
    ("align {folder} OUT --no-progress", ["folder"]),
    ("project {utf8_pairs} {folder} --no-progress", ["folder"]),
    ("project {deep_pairs} OUT --no-progress", ["deep_pairs.jsonl", "line 2", "nested too deeply"]),
    ("project {nan_pairs} OUT --no-progress", ["nan_pairs.jsonl", "line 2", "NaN"]),
]


@pytest.mark.parametrize("command,words", BAD_INPUT_CASES, ids=[c[0].split()[0] + "-" + c[0].split()[1][1:-1] for c in BAD_INPUT_CASES])
def test_bad_inputs_end_in_one_error_line_and_no_output(tmp_path: Path, bad_inputs: Dict[str, Path], capsys,
                                                         command: str, words: List[str]) -> None:
    out = tmp_path / "out" / "result.jsonl"
    values = {k: str(v) for k, v in bad_inputs.items()}
    values["utf8_text"] = values.pop("utf8_text.txt")
    args = [a.format(**values) if a != "OUT" else str(out) for a in command.split()]
    code, _, err = run_main(args, capsys)
    assert_one_error_line(code, err, *[w if w != "folder" else str(bad_inputs["folder"]) for w in words])
    assert not out.exists()


def _fail_with(err_no: int):
    def fail(self, pairs):
        raise OSError(err_no, os.strerror(err_no), str(self.path))

    return fail


@pytest.mark.parametrize("err_no,fix", [(errno.ENOSPC, "disk is full"), (errno.EROFS, "read-only")])
def test_full_disk_or_read_only_folder_during_align_leaves_no_output(tmp_path: Path, capsys, monkeypatch,
                                                                     err_no: int, fix: str) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [pair(i) for i in range(4)])
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(PairAppender, "write_bytes", _fail_with(err_no))
    code, _, err = run_main(["project", src, out, "--no-progress"], capsys)
    assert_one_error_line(code, err, str(out), fix)
    assert not out.exists() and not Path(str(out) + ".run.json").exists()


def test_full_disk_after_some_batches_keeps_only_committed_batches(tmp_path: Path, capsys, monkeypatch) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [pair(i) for i in range(10)])
    full = tmp_path / "full.jsonl"
    code, _, _ = run_main(["project", src, full, "--no-progress", "--batch-size", "3"], capsys)
    assert code == 0
    out = tmp_path / "out.jsonl"
    real = PairAppender.write_bytes  # what the runner calls with a batch's bytes
    calls = {"n": 0}

    def flaky(self, pairs):
        calls["n"] += 1
        if calls["n"] == 3:  # a half-written batch, then the disk is full
            os.write(self._fd, b'{"id":"p6","src"')
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.path))
        return real(self, pairs)

    monkeypatch.setattr(PairAppender, "write_bytes", flaky)
    code, _, err = run_main(["project", src, out, "--no-progress", "--batch-size", "3"], capsys)
    assert_one_error_line(code, err, "disk is full")
    assert out.read_bytes() == b"".join(full.read_bytes().splitlines(keepends=True)[:6])
    monkeypatch.setattr(PairAppender, "write_bytes", real)
    code, out_text, _ = run_main(["project", src, out, "--no-progress", "--batch-size", "3"], capsys)
    assert code == 0 and "6 skipped" in out_text
    assert out.read_bytes() == full.read_bytes()


# ------------------------------------------------------------------------------------------------
# Rows: an output that is an input; bad option values


def test_outputs_that_are_inputs_are_refused(tmp_path: Path, capsys) -> None:
    pred = tmp_path / "pred.jsonl"
    write_pairs(pred, [pair(0)])
    before = pred.read_bytes()
    code, _, err = run_main(["evaluate", pred, pred, "--output", pred], capsys)
    assert_one_error_line(code, err, "--output", "input")
    assert pred.read_bytes() == before
    metrics = tmp_path / "metrics" / "hau_heuristic.json"
    metrics.parent.mkdir()
    metrics.write_text(json.dumps({"ents_f": 0.5, "ents_p": 0.5, "ents_r": 0.5}), encoding="utf8")
    before = metrics.read_bytes()
    code, _, err = run_main(["report", metrics.parent, "--out", metrics.with_suffix(".md")], capsys)
    assert_one_error_line(code, err, "input")  # <out>.json is the metrics file itself
    assert metrics.read_bytes() == before
    code, _, err = run_main(["project", pred, pred, "--no-progress"], capsys)
    assert_one_error_line(code, err, "input")
    assert pred.read_bytes() == before or pred.exists()


@pytest.fixture(scope="module")
def nllb(tmp_path_factory) -> Path:
    require_module("transformers")
    from tiny_seq2seq import build_all

    return build_all(tmp_path_factory.getbasetemp() / "tiny_models_rel")["nllb"]


OPTION_CASES = [
    ("align {src} OUT --batch-size 0", ["--batch-size", "at least 1"]),
    ("align {src} OUT --batch-size -5", ["--batch-size", "at least 1"]),
    ("project {src} OUT --length-ratio-threshold nan", ["--length-ratio-threshold", "finite"]),
    ("project {src} OUT --length-ratio-threshold inf", ["--length-ratio-threshold", "finite"]),
    ("project {src} OUT --batch-size 0", ["--batch-size"]),
    ("label {src} OUT --batch-size 0", ["--batch-size"]),
    ("translate {src} OUT --tgt hau --batch-size 0", ["--batch-size"]),
    ("translate {src} OUT --tgt hau --cache {folder}", ["--cache", "folder"]),
    ("bench --europarl-limit 0", ["--europarl-limit", "at least 1"]),
]


@pytest.mark.parametrize("command,words", OPTION_CASES, ids=[c[0] for c in OPTION_CASES])
def test_bad_option_values_are_refused_before_any_work(tmp_path: Path, capsys, command: str, words: List[str]) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [pair(i) for i in range(3)])
    out = tmp_path / "out.jsonl"
    args = [a.format(src=src, folder=tmp_path) if a != "OUT" else str(out) for a in command.split()]
    code, _, err = run_main(args, capsys)
    assert_one_error_line(code, err, *words)
    assert not out.exists()


def test_translate_max_length_above_the_models_positions_is_refused(tmp_path: Path, capsys, nllb: Path) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [pair(0)])
    out = tmp_path / "out.jsonl"
    code, _, err = run_main(["translate", src, out, "--model", nllb, "--tgt", "hau", "--max-length", "100000",
                             "--no-progress"], capsys)
    assert_one_error_line(code, err, "--max-length 100000", "positions")
    assert not out.exists()


# ------------------------------------------------------------------------------------------------
# Row: a sentence side of 1,024 tokens or more (eflomal's limit)


def test_align_never_leaves_a_long_sentence_silently_unaligned(tmp_path: Path, capsys, mafand_pairs: Path) -> None:
    require_module("eflomal")
    pairs = list(read_pairs(mafand_pairs))
    src_words: List[str] = []
    tgt_words: List[str] = []
    for p in pairs:  # one pair of real sentences glued together, 1,024+ tokens on both sides
        if min(len(src_words), len(tgt_words)) >= 1100:
            break
        src_words += p.src.words
        tgt_words += p.tgt.words
    long = Pair("long", Side("en", src_words), Side("hau", tgt_words))
    src = tmp_path / "in.jsonl"
    write_pairs(src, pairs[:100] + [long] + pairs[100:])
    cfg = tmp_path / "e.cfg"
    cfg.write_text(EFLOMAL_CFG, encoding="utf8")
    out = tmp_path / "out.jsonl"
    code, stdout, err = run_main(["align", src, out, "--config", cfg, "--no-progress"], capsys)
    assert code == 0, err
    assert "long_sentence_split=1" in stdout
    assert "1024 tokens or more" in err and err.count("warning: ") == 1  # shown once as a warning too
    aligned = {p.id: p for p in read_pairs(out)}
    links = aligned["long"].alignment.links
    assert len(links) > min(len(src_words), len(tgt_words)) // 5  # (before: no links at all)
    assert max(i for i, _ in links) >= 1024 and max(j for _, j in links) >= 1024  # the tail is aligned too


def test_split_long_pairs_keeps_offsets() -> None:
    from spacy_xproj.align.eflomal_backend import split_long_pairs

    s, t, owners, n_split = split_long_pairs([list(range(2500)), [1, 2]], [list(range(2000)), [3]])
    assert n_split == 1 and len(s) == 4
    assert all(len(x) < 1024 for x in s + t)
    assert [o for o in owners] == [(0, 0, 0), (0, 833, 666), (0, 1666, 1333), (1, 0, 0)]
    assert sum(len(x) for x in s[:3]) == 2500 and sum(len(x) for x in t[:3]) == 2000


# ------------------------------------------------------------------------------------------------
# Row: a 70,000-word pair with candidate matching


def test_link_counts_on_a_70k_word_pair_use_memory_linear_in_the_sentence() -> None:
    from spacy_xproj.projection.scores import align_scores

    n = 70_000
    alignment = Alignment([(k, k) for k in range(n)])
    src_spans = [(k, k + 2) for k in range(0, n - 2, 7000)]  # 10 entities
    cands = [(k, k + 2) for k in range(0, n - 2, 10)]  # 7,000 candidates
    tracemalloc.start()
    try:
        scores = align_scores(src_spans, cands, alignment, n, n)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert scores.shape == (10, len(cands))
    assert peak < 64 * 2**20, peak  # a dense (n+1)^2 table would be 39 GB
    k = cands.index((7000, 7002))
    assert scores[1, k] == pytest.approx(1.0) and scores[1].sum() == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------
# Row: NaN / Infinity link scores


def test_nan_scores_are_never_written_as_non_json() -> None:
    bad = Pair("x", Side("en", ["a"]), Side("de", ["b"]), Alignment([(0, 0)], [float("nan")]))
    with pytest.raises(InputError, match="NaN or infinite"):
        dumps_pair(bad)
    inf = Pair("y", Side("en", ["a"]), Side("de", ["b"]), Alignment([(0, 0)], [float("inf")]))
    with pytest.raises(InputError, match="record 'y'"):
        dumps_pair(inf)
    json.loads(dumps_pair(Pair("z", Side("en", ["a"]), Side("de", ["b"]), Alignment([(0, 0)], [0.5]))))


# ------------------------------------------------------------------------------------------------
# Resume with other settings or input: refused, naming the difference and --overwrite


def test_resume_with_changed_settings_is_refused_and_overwrite_starts_afresh(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in.jsonl"
    write_pairs(src, [pair(i, 6) for i in range(6)])
    out = tmp_path / "out.jsonl"
    code, _, err = run_main(["project", src, out, "--method", "heuristic", "--no-progress"], capsys)
    assert code == 0, err
    heuristic = out.read_bytes()
    code, _, err = run_main(["project", src, out, "--method", "candidates", "--no-progress"], capsys)
    assert_one_error_line(code, err, "--method", "heuristic", "candidates", "--overwrite")
    assert out.read_bytes() == heuristic
    code, stdout, err = run_main(["project", src, out, "--method", "heuristic", "--no-progress"], capsys)
    assert code == 0 and "6 skipped" in stdout  # same settings: nothing redone
    code, stdout, err = run_main(["project", src, out, "--method", "candidates", "--overwrite", "--no-progress"], capsys)
    assert code == 0 and "0 skipped" in stdout, err
    fresh = tmp_path / "fresh.jsonl"
    assert run_main(["project", src, fresh, "--method", "candidates", "--no-progress"], capsys)[0] == 0
    assert out.read_bytes() == fresh.read_bytes()
    write_pairs(src, [pair(i, 6) for i in range(7)])  # the input changed
    code, _, err = run_main(["project", src, out, "--method", "candidates", "--no-progress"], capsys)
    assert_one_error_line(code, err, "input file's content changed", "--overwrite")


def test_restart_on_change_resumes_the_same_work_and_restarts_changed_work(tmp_path: Path, capsys) -> None:
    """What workflows (project.yml) use: rerun after an interruption resumes, rerun after a change
    (settings, a config file's content, the input) starts afresh."""
    src = tmp_path / "in.jsonl"
    write_pairs(src, [pair(i, 6) for i in range(6)])
    cfg = tmp_path / "projector.cfg"
    cfg.write_text('[projector]\n@xproj_projectors = "spacy-xproj.HeuristicProjector.v1"\nmerge_distance = 1\n',
                   encoding="utf8")
    out = tmp_path / "out.jsonl"
    args = ["project", src, out, "--config", cfg, "--batch-size", "2", "--restart-on-change", "--no-progress"]
    assert run_main(args, capsys)[0] == 0
    code, stdout, err = run_main(args, capsys)
    assert code == 0 and "6 skipped" in stdout and "starting afresh" not in err
    cfg.write_text(cfg.read_text(encoding="utf8").replace("merge_distance = 1", "merge_distance = 0"), encoding="utf8")
    code, stdout, err = run_main(args, capsys)
    assert code == 0 and "0 skipped" in stdout and "--config" in err and "starting afresh" in err
    write_pairs(src, [pair(i, 6) for i in range(5)])
    code, stdout, err = run_main(args, capsys)
    assert code == 0 and "0 skipped" in stdout and "input file's content changed" in err
    assert [p.id for p in read_pairs(out)] == [f"p{i}" for i in range(5)]


# ------------------------------------------------------------------------------------------------
# eflomal's seed file and its private binary


def test_eflomal_binary_lives_in_the_user_cache_and_a_lost_seed_is_an_error(tmp_path: Path, monkeypatch) -> None:
    require_module("eflomal")
    from spacy_xproj.align import eflomal_backend as eb

    monkeypatch.setenv("XPROJ_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(eb, "_PATCHED", {})
    binary = Path(eb._seeded_binary())
    assert binary.parent.parent.parent == tmp_path / "cache" and os.access(binary, os.X_OK)
    aligner = eb.create_eflomal_aligner(n_iterations=[2, 2, 2])
    src, tgt = [["a", "b"], ["b", "c"]], [["A", "B"], ["B", "C"]]
    assert len(aligner(src, tgt)) == 2
    monkeypatch.setattr(eb, "_write_seed_file", lambda folder, seed: None)  # the seed file cannot be opened
    with pytest.raises(RuntimeError, match="seed file"):
        aligner(src, tgt)
    assert not any((tmp_path / "cache" / "runs").iterdir())  # scratch folders removed after errors too
