"""Static checks of project.yml, the training configs and the project helper scripts (fast; no models)."""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import srsly

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))

import fetch_assets  # noqa: E402
import plain_output  # noqa: E402
import split_pairs  # noqa: E402


@pytest.fixture(scope="module")
def project():
    from weasel.util import load_project_config

    return load_project_config(REPO)


def test_workflows_are_wired(project):
    """Every dependency of a workflow step is an asset, a repo file, or an output of an earlier step."""
    commands = {c["name"]: c for c in project["commands"]}
    assets = {a["dest"] for a in project["assets"]}
    assert set(project["workflows"]) >= {"all", "parallel", "translate-test", "translate-train"}
    for name, steps in project["workflows"].items():
        produced = set()
        assert steps[0].endswith("assets"), name  # data and dependencies are checked before any work
        for step in steps:
            assert step in commands, f"{name}: unknown command {step}"
            command = commands[step]
            if command.get("no_skip"):  # the closing summary runs every time and makes nothing
                assert step == steps[-1] and not command.get("outputs"), step
                continue
            assert command.get("outputs"), f"{step} has no outputs, so it could never be skipped"
            for dep in command.get("deps", []):
                ok = dep in assets or dep in produced or (REPO / dep).exists()
                ok = ok or any(dep.startswith(p.rstrip("/") + "/") for p in produced)
                assert ok, f"workflow {name}: {step} depends on {dep}, which nothing before it makes"
            produced.update(command.get("outputs", []))
            produced.update(command.get("outputs_no_cache", []))


def test_report_folders_hold_only_scores(project):
    """`xproj report DIR` reads every JSON file of DIR as a score file, so in each workflow the only
    commands that write into a folder a report reads are `xproj evaluate` (a leakage count or a
    filter summary written there would stop the report step)."""
    import shlex

    commands = {c["name"]: c for c in project["commands"]}
    for name, steps in project["workflows"].items():
        lines = [shlex.split(line) for step in steps for line in commands[step].get("script", [])]
        reported = {args[args.index("report") + 1] for args in lines if "spacy_xproj" in args and "report" in args}
        for args in lines:
            for i, arg in enumerate(args[:-1]):
                if arg in ("--output", "--stats") and any(args[i + 1].startswith(d.rstrip("/") + "/") for d in reported):
                    assert "spacy_xproj" in args and "evaluate" in args, f"workflow {name}: {' '.join(args[:4])} writes {args[i + 1]}"


LANGS = "bam bbj ewe fon hau ibo kin lug luo mos nya pcm sna swa tsn twi wol xho yor zul".split()


def test_assets_have_pinned_sources(project):
    for asset in project["assets"]:
        dest = asset["dest"]
        assert dest.startswith("assets/")
        if "conll2003_en" in dest:
            assert not asset.get("url"), "CoNLL-2003 cannot be redistributed: no URL"
            continue
        assert asset["url"].startswith("https://raw.githubusercontent.com/")
        # pinned to a commit, never a branch
        assert any(len(part) == 40 for part in asset["url"].split("/")), asset["url"]


def test_asset_table_covers_every_language_with_pinned_checksums():
    """configs/assets.tsv: every MasakhaNER 2.0 language and MAFAND-MT pair, each pinned and checksummed."""
    table = fetch_assets.load_table(REPO)
    ner = {Path(d).parts[2] for d in table if d.startswith("assets/masakhaner2/")}
    assert ner == set(LANGS)
    pairs = {Path(d).parts[2] for d in table if d.startswith("assets/mafand_mt/")}
    assert len(pairs) == 21 and {p.split("-")[0] for p in pairs} == {"en", "fr"}
    assert {p.split("-")[1] for p in pairs} >= set(LANGS)  # each language has a pair with en or fr
    for dest, (url, md5) in table.items():
        assert any(len(part) == 40 for part in url.split("/")), url
        assert md5 is None and dest == "assets/mafand_mt/en-swa/train.jsonl" or len(md5) == 32, dest


def test_asset_checksums_match_the_data_folder(data_root):
    """The MD5s of the table are those of the published files (the data folder holds verbatim copies)."""
    checked = 0
    for dest, (_, md5) in fetch_assets.load_table(REPO).items():
        src = data_root / Path(dest).relative_to("assets")
        if md5 is None or not src.exists():
            continue
        assert hashlib.md5(src.read_bytes()).hexdigest() == md5, src
        checked += 1
    assert checked == 6 * 3 + 5 * 3 + 2  # six MasakhaNER languages, six MAFAND pairs (en-swa train has none)


FRENCH_CENTRED = "bam bbj ewe fon mos wol".split()
NO_TRAIN_PAIR = "kin nya sna xho".split()  # MAFAND-MT en-kin, en-nya, en-sna, en-xho have dev and test only


@pytest.mark.parametrize("lang", LANGS)
def test_every_language_resolves_to_its_assets(lang):
    """`--vars.lang X` alone names only X's files; src_lang auto finds X's MAFAND-MT pair (fr for the
    French-centred languages), and each file exists upstream (or dev for pairs without train)."""
    from weasel.util import load_project_config

    table = fetch_assets.load_table(REPO)
    assert load_project_config(REPO)["vars"]["src_lang"] == fetch_assets.AUTO
    src_lang = fetch_assets.resolve_src_lang(lang, fetch_assets.AUTO, table)
    assert src_lang == ("fr" if lang in FRENCH_CENTRED else "en")
    assert fetch_assets.resolve_src_lang(lang, "en", table) == "en"  # an explicit value wins
    assert load_project_config(REPO)["vars"]["parallel_split"] == fetch_assets.AUTO
    split = fetch_assets.resolve_parallel_split(lang, src_lang, fetch_assets.AUTO, table)
    assert split == ("dev" if lang in NO_TRAIN_PAIR else "train")
    assert fetch_assets.resolve_parallel_split(lang, src_lang, "test", table) == "test"  # an explicit value wins
    cfg = load_project_config(REPO, overrides={"vars.lang": lang})
    assert cfg["vars"]["package_name"] == f"{lang}_xproj_ner"
    dests = [a["dest"] for a in cfg["assets"] if "masakhaner2" in a["dest"] or "mafand_mt" in a["dest"]]
    assert dests and all(f"/{lang}/" in d for d in dests)
    assert f"assets/mafand_mt/{lang}/auto.jsonl" in dests
    for dest in dests:
        key = fetch_assets.table_key(dest, src_lang, split)
        fetch_assets.check_in_table(key, table)  # SystemExit if not upstream
        if "mafand_mt" in dest:
            assert key.endswith(f"/{src_lang}-{lang}/{split}.jsonl")


def test_french_centred_language_fetches_its_pair_with_one_var(tmp_path, data_root, monkeypatch):
    """`--vars.lang wol` alone: the fetch step takes fr-wol (MD5-checked) from the mirror, and the
    pair conversion (`--src-lang auto`) and the source NER step (`--src-lang auto --lang wol`) see fr."""
    import source_ner

    from spacy_xproj.corpus.mafand import mafand_source_language

    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(REPO / "project.yml", proj / "project.yml")
    shutil.copytree(REPO / "configs", proj / "configs")
    monkeypatch.setenv("XPROJ_ASSETS_MIRROR", str(data_root))
    code = fetch_assets.fetch(proj, only=["assets/mafand_mt/wol"], overrides={"vars.lang": "wol"})
    assert code == 0
    got = proj / "assets" / "mafand_mt" / "wol" / "auto.jsonl"  # parallel_split auto = train
    assert hashlib.md5(got.read_bytes()).hexdigest() == fetch_assets.load_table(REPO)["assets/mafand_mt/fr-wol/train.jsonl"][1]
    assert mafand_source_language(got, "wol") == "fr"
    assert source_ner.resolve_project_src_lang("auto", "wol", REPO) == "fr"
    assert source_ner.resolve_project_src_lang("en", "wol", REPO) == "en"


def test_parallel_split_all_and_joined_splits_resolve():
    """`parallel_split all` is every split the pair has upstream; `a+b` is taken as written; a
    repeated or empty split name is refused."""
    table = fetch_assets.load_table(REPO)
    assert fetch_assets.resolve_parallel_split("hau", "en", "all", table) == "train+dev+test"
    assert fetch_assets.resolve_parallel_split("kin", "en", "all", table) == "dev+test"  # no train upstream
    assert fetch_assets.resolve_parallel_split("wol", "fr", "train+dev", table) == "train+dev"
    with pytest.raises(SystemExit, match="twice"):
        fetch_assets.resolve_parallel_split("hau", "en", "train+train", table)
    with pytest.raises(SystemExit, match="empty split"):
        fetch_assets.resolve_parallel_split("hau", "en", "train+", table)
    assert fetch_assets.part_keys("assets/mafand_mt/hau/all.jsonl", "en", "dev+test") == [
        ("assets/mafand_mt/en-hau/dev.jsonl", "assets/mafand_mt/hau/parts/en-dev.jsonl"),
        ("assets/mafand_mt/en-hau/test.jsonl", "assets/mafand_mt/hau/parts/en-test.jsonl"),
    ]
    assert fetch_assets.part_keys("assets/mafand_mt/hau/auto.jsonl", "en", "train") == []  # one split: as before


def test_parallel_split_all_fetches_each_split_and_joins_them(tmp_path, data_root, monkeypatch):
    """`--vars.parallel_split all`: every upstream split of fr-wol is copied and MD5-checked on its
    own, and the asset the workflow reads is their concatenation, in train, dev, test order, with
    no line lost; a corrupted split in the mirror stops the fetch."""
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(REPO / "project.yml", proj / "project.yml")
    shutil.copytree(REPO / "configs", proj / "configs")
    monkeypatch.setenv("XPROJ_ASSETS_MIRROR", str(data_root))
    overrides = {"vars.lang": "wol", "vars.parallel_split": "all"}
    assert fetch_assets.fetch(proj, only=["assets/mafand_mt/wol"], overrides=overrides) == 0
    upstream = [data_root / "mafand_mt" / "fr-wol" / f"{s}.jsonl" for s in ("train", "dev", "test")]
    got = proj / "assets" / "mafand_mt" / "wol" / "all.jsonl"
    assert got.read_bytes() == b"".join(p.read_bytes() for p in upstream)
    table = fetch_assets.load_table(REPO)
    for split in ("train", "dev", "test"):
        part = proj / "assets" / "mafand_mt" / "wol" / "parts" / f"fr-{split}.jsonl"
        assert hashlib.md5(part.read_bytes()).hexdigest() == table[f"assets/mafand_mt/fr-wol/{split}.jsonl"][1]
    mirror = tmp_path / "mirror"
    shutil.copytree(data_root / "mafand_mt" / "fr-wol", mirror / "mafand_mt" / "fr-wol")
    with open(mirror / "mafand_mt" / "fr-wol" / "dev.jsonl", "a", encoding="utf8") as fh:
        fh.write("{}\n")
    (proj / "assets" / "mafand_mt" / "wol" / "parts" / "fr-dev.jsonl").unlink()
    monkeypatch.setenv("XPROJ_ASSETS_MIRROR", str(mirror))
    with pytest.raises(SystemExit, match="checksum mismatch"):
        fetch_assets.fetch(proj, only=["assets/mafand_mt/wol"], overrides=overrides)
    with pytest.raises(SystemExit, match="twice"):  # would otherwise join the train split twice
        fetch_assets.fetch(proj, only=["assets/mafand_mt/wol"], overrides={"vars.lang": "wol", "vars.parallel_split": "train+train"})


def test_missing_pair_fails_with_the_fix():
    table = fetch_assets.load_table(REPO)
    with pytest.raises(SystemExit, match="fr-wol.*--vars.src_lang"):
        fetch_assets.check_in_table("assets/mafand_mt/en-wol/train.jsonl", table)
    with pytest.raises(SystemExit, match="parallel_split"):
        fetch_assets.check_in_table("assets/mafand_mt/en-kin/train.jsonl", table)


@pytest.mark.parametrize("config,lang", [("configs/cnn.cfg", "de"), ("configs/cnn.cfg", "xx"), ("configs/transformer.cfg", "xx")])
def test_configs_pass_spacy_debug_config(config, lang, capsys, monkeypatch):
    """`spacy debug config` (its own function, in-process) validates the configs; the transformer one
    is built without fetching weights (the hub is offline here)."""
    from spacy.cli.debug_config import debug_config

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    overrides = {"paths.train": "corpus/train.spacy", "paths.dev": "corpus/dev.spacy", "nlp.lang": lang}
    debug_config(REPO / config, overrides=overrides)
    assert "Config is valid" in capsys.readouterr().out


def test_transformer_config_names_xlmr():
    from spacy.util import load_config

    cfg = load_config(REPO / "configs" / "transformer.cfg", interpolate=False)
    assert cfg["components"]["transformer"]["model"]["name"] == "xlm-roberta-base"
    assert cfg["components"]["ner"]["model"]["tok2vec"]["@architectures"].startswith("spacy-transformers.")


# ------------------------------------------------------------------ scripts/split_pairs.py

def _pairs(path: Path, n: int) -> list:
    lines = [json.dumps({"id": f"p{i}", "x": "é"}, ensure_ascii=False) for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return lines


def test_split_pairs_parts_and_limit(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = _pairs(src, 10)
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "sub" / "c.jsonl"
    assert split_pairs.split(src, [(a, 3), (b, 2), (c, None)]) == [3, 2, 5]
    got = a.read_text(encoding="utf8").splitlines() + b.read_text(encoding="utf8").splitlines() + c.read_text(encoding="utf8").splitlines()
    assert got == lines  # verbatim, in order, nothing lost or duplicated
    assert split_pairs.split(src, [(a, None)], limit=4) == [4]
    assert a.read_text(encoding="utf8").splitlines() == lines[:4]


def test_split_pairs_refuses_short_input(tmp_path):
    src = tmp_path / "in.jsonl"
    _pairs(src, 3)
    with pytest.raises(SystemExit, match="only 3"):
        split_pairs.split(src, [(tmp_path / "a.jsonl", 2), (tmp_path / "b.jsonl", 2)])
    with pytest.raises(SystemExit, match="only the last"):
        split_pairs.split(src, [(tmp_path / "a.jsonl", None), (tmp_path / "b.jsonl", 1)])
    with pytest.raises(SystemExit):
        split_pairs.main([str(src), "--part", "nosize"])


def test_split_pairs_auto_holds_out_a_third_at_most_500(tmp_path):
    """`auto` (the `parallel` dev set): a language with little parallel text keeps two thirds of its
    sentences for training instead of failing for want of 500; a large one holds out 500."""
    dev, train = tmp_path / "dev.jsonl", tmp_path / "train.jsonl"
    for n, n_dev in [(238, 79), (1499, 499), (1500, 500), (4000, 500), (3, 1)]:
        src = tmp_path / f"in{n}.jsonl"
        lines = _pairs(src, n)
        assert split_pairs.split(src, [(dev, "auto"), (train, None)]) == [n_dev, n - n_dev]
        got = dev.read_text(encoding="utf8").splitlines() + train.read_text(encoding="utf8").splitlines()
        assert got == lines
    src = tmp_path / "two.jsonl"
    _pairs(src, 2)
    with pytest.raises(SystemExit, match="2 records are too few"):
        split_pairs.split(src, [(dev, "auto"), (train, None)])
    split_pairs.main([str(tmp_path / "in238.jsonl"), "--part", f"{dev}:auto", "--part", f"{train}:rest"])
    assert len(dev.read_text(encoding="utf8").splitlines()) == 79
    with pytest.raises(SystemExit):
        split_pairs.main([str(src), "--part", f"{dev}:third"])


# ------------------------------------------------------------------ scripts/fetch_assets.py

def _mini_project(tmp_path: Path, files: dict) -> Path:
    proj = tmp_path / "proj"
    proj.mkdir()
    assets = []
    for rel, (content, url) in files.items():
        entry = {"dest": f"assets/{rel}", "checksum": hashlib.md5(content).hexdigest(), "description": rel}
        if url:
            entry["url"] = url
        assets.append(entry)
    srsly.write_yaml(proj / "project.yml", {"title": "t", "assets": assets, "commands": []})
    return proj


def test_fetch_assets_from_mirror(tmp_path, monkeypatch):
    good, other = b"tok\tO\n\n", b"x y\n"
    proj = _mini_project(tmp_path, {"a/one.txt": (good, "https://example.invalid/one.txt"),
                                    "b/two.jsonl": (other, "https://example.invalid/two.json")})
    mirror = tmp_path / "mirror"
    (mirror / "a").mkdir(parents=True)
    (mirror / "b").mkdir()
    (mirror / "a" / "one.txt").write_bytes(good)
    with gzip.open(mirror / "b" / "two.jsonl.gz", "wb") as fh:  # gzipped in the mirror
        fh.write(other)
    monkeypatch.setenv(fetch_assets.MIRROR_ENV, str(mirror))
    assert fetch_assets.fetch(proj) == 0
    assert (proj / "assets" / "a" / "one.txt").read_bytes() == good
    assert (proj / "assets" / "b" / "two.jsonl").read_bytes() == other
    # a present file with the right checksum is kept (no network, no copy)
    (mirror / "a" / "one.txt").unlink()
    assert fetch_assets.fetch(proj) == 0


def test_fetch_assets_checksum_mismatch(tmp_path, monkeypatch):
    proj = _mini_project(tmp_path, {"a/one.txt": (b"right\n", "https://example.invalid/one.txt")})
    mirror = tmp_path / "mirror"
    (mirror / "a").mkdir(parents=True)
    (mirror / "a" / "one.txt").write_bytes(b"wrong\n")
    monkeypatch.setenv(fetch_assets.MIRROR_ENV, str(mirror))
    with pytest.raises(SystemExit, match="checksum mismatch"):
        fetch_assets.fetch(proj)
    assert not (proj / "assets" / "a" / "one.txt").exists()  # nothing half-written left behind
    assert not list((proj / "assets" / "a").glob("*.tmp"))


def test_fetch_assets_missing_in_mirror_and_bad_mirror(tmp_path, monkeypatch):
    proj = _mini_project(tmp_path, {"a/one.txt": (b"x\n", "https://example.invalid/one.txt")})
    (tmp_path / "mirror").mkdir()
    monkeypatch.setenv(fetch_assets.MIRROR_ENV, str(tmp_path / "mirror"))
    with pytest.raises(SystemExit, match="not in the mirror"):
        fetch_assets.fetch(proj)
    monkeypatch.setenv(fetch_assets.MIRROR_ENV, str(tmp_path / "nope"))
    with pytest.raises(SystemExit, match="not a folder"):
        fetch_assets.resolve_mirror()
    monkeypatch.setenv(fetch_assets.MIRROR_ENV, "network")
    assert fetch_assets.resolve_mirror() is None


def test_fetch_private_asset_needed(tmp_path, monkeypatch):
    """An asset without URL (CoNLL-2003) that is in no mirror fails only when a step needs it."""
    proj = _mini_project(tmp_path, {"conll2003_en/train.txt": (b"x\n", None)})
    (tmp_path / "mirror").mkdir()
    monkeypatch.setenv(fetch_assets.MIRROR_ENV, str(tmp_path / "mirror"))
    assert fetch_assets.fetch(proj) == 0
    assert fetch_assets.fetch(proj, only=["assets/conll2003_en"]) == 1


def test_fetch_real_assets_from_data_folder(tmp_path, monkeypatch, data_root):
    """The real project.yml against the real data folder as mirror: copied and verified."""
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "project.yml").write_text((REPO / "project.yml").read_text(encoding="utf8"), encoding="utf8")
    monkeypatch.setenv(fetch_assets.MIRROR_ENV, str(data_root))
    (proj / "configs").mkdir()
    (proj / "configs" / "assets.tsv").write_bytes((REPO / "configs" / "assets.tsv").read_bytes())
    assert fetch_assets.fetch(proj, only=["assets/europarl_ner", "assets/masakhaner2/hau"]) == 0
    for name in ("en-europarl.test.conll02", "de-europarl.test.conll02"):
        assert (proj / "assets" / "europarl_ner" / name).read_bytes() == (data_root / "europarl_ner" / name).read_bytes()
    assert (proj / "assets" / "masakhaner2" / "hau" / "test.txt").exists()


# ------------------------------------------------------------------ plain logs (scripts/plain_output.py)

def test_training_commands_write_plain_logs(project, tmp_path):
    """wasabi colours its output even when it is not a terminal; project commands that print through
    it run via scripts/plain_output.py, which turns colours, bold dividers and animations off when
    the output is a file or a pipe."""
    for command in project["commands"]:
        for line in command.get("script", []):
            if " spacy train " in f" {line} " or line.startswith("python -m spacy "):
                assert line.startswith("python scripts/plain_output.py -m spacy "), line
    script = tmp_path / "speak.py"
    script.write_text("import sys\nfrom wasabi import msg\nmsg.divider('step')\nmsg.good('done', sys.argv[1])\n")
    env = {k: v for k, v in os.environ.items() if k not in plain_output.PLAIN_ENV}
    raw = subprocess.run([sys.executable, str(script), "x"], capture_output=True, text=True, env=env).stdout
    assert "\x1b[" in raw  # the problem: escape codes in a pipe
    plain = subprocess.run([sys.executable, str(REPO / "scripts" / "plain_output.py"), str(script), "x"],
                           capture_output=True, text=True, env=env)
    assert plain.returncode == 0 and "\x1b[" not in plain.stdout and "done" in plain.stdout and "x" in plain.stdout
    via_m = subprocess.run([sys.executable, str(REPO / "scripts" / "plain_output.py"), "-m", "wasabi.util"],
                           capture_output=True, text=True, env=env)
    assert via_m.returncode == 0, via_m.stderr
    environ = {}
    with open(os.devnull, "w") as sink:
        assert plain_output.use_plain_output(sink, environ) and environ == plain_output.PLAIN_ENV


def _project_with_mirror(tmp_path, data_root, monkeypatch) -> Path:
    """A project folder (project.yml, configs/) as the working directory, assets from the data folder."""
    proj = tmp_path / "proj"
    proj.mkdir()
    shutil.copy(REPO / "project.yml", proj / "project.yml")
    shutil.copytree(REPO / "configs", proj / "configs")
    monkeypatch.setenv("XPROJ_ASSETS_MIRROR", str(data_root))
    monkeypatch.chdir(proj)
    return proj


def test_source_gold_sentences_for_the_target_training(tmp_path, data_root, monkeypatch, capsys):
    """`source_ner.py gold`: a seeded sample of CoNLL-2003 train (fetched from the mirror), MISC made
    O, in a DocBin that spaCy's corpus reader takes beside the projected one; none for French."""
    import source_ner
    import spacy
    from spacy.tokens import DocBin
    from spacy.training import Corpus

    from spacy_xproj.corpus.conll import read_conll_sentences

    proj = _project_with_mirror(tmp_path, data_root, monkeypatch)
    nlp = spacy.blank("xx")
    assert source_ner.gold("train/source_gold.spacy", 200, "en", 0, ["PER", "ORG", "LOC"]) == 200
    docs = list(DocBin().from_disk("train/source_gold.spacy").get_docs(nlp.vocab))
    labels = [e.label_ for d in docs for e in d.ents]
    assert len(labels) > 150 and set(labels) == {"PER", "ORG", "LOC"}
    assert all(t.ent_iob_ in ("B", "I", "O") for d in docs for t in d)  # MISC words are O, nothing missing
    conll = list(read_conll_sentences(proj / "assets" / "conll2003_en" / "train.txt"))
    by_text = {" ".join(s.words): s for s in conll}
    misc = [d for d in docs if any(t.endswith("MISC") for t in by_text[d.text].tags)]
    assert misc  # the sample had MISC names, and they are gone
    again = source_ner.gold("train/again.spacy", 200, "en", 0, ["PER", "ORG", "LOC"])
    other = source_ner.gold("other.spacy", 200, "en", 1, ["PER", "ORG", "LOC"])
    assert again == other == 200
    texts = [d.text for d in docs]
    assert [d.text for d in DocBin().from_disk("train/again.spacy").get_docs(nlp.vocab)] == texts
    assert [d.text for d in DocBin().from_disk("other.spacy").get_docs(nlp.vocab)] != texts
    # the training folder of the workflow: spaCy's reader takes every DocBin in it
    DocBin(docs=[nlp.make_doc("Buhari ya isa Abuja .")]).to_disk("train/projected.spacy")
    assert len(list(Corpus("train")(nlp))) == 200 + 200 + 1
    # none asked for; no gold data for French (refused, also by the check at the start of the workflow)
    assert source_ner.gold("none.spacy", 0, "en", 0, ["PER"]) == 0
    assert source_ner.gold("fr0.spacy", 0, "fr", 0, ["PER"]) == 0
    with pytest.raises(SystemExit, match="exist for en only, the source language is 'fr'"):
        source_ner.gold("fr.spacy", 200, "fr", 0, ["PER"])
    with pytest.raises(SystemExit, match="n_source_gold 200"):
        source_ner.main(["check", "--model", "fr_core_news_md", "--src-lang", "fr", "--n-source-gold", "200"])
    with pytest.raises(SystemExit, match="holds only"):
        source_ner.gold("big.spacy", 10 ** 6, "en", 0, ["PER"])
    # the workflow's default, auto: all of CoNLL-2003 train for English, none for French (no error)
    assert source_ner.gold("auto.spacy", "auto", "en", 0, ["PER", "ORG", "LOC"]) == len(conll) == 14041
    assert source_ner.gold("fr_auto.spacy", "auto", "fr", 0, ["PER"]) == 0
    source_ner.check_gold("auto", "fr")
    for bad in ("-1", "many", "3.5"):
        with pytest.raises(SystemExit, match="'auto' or a number of sentences"):
            source_ner.check_gold(bad, "en")
    # CoNLL-2003 absent (a user's own source model): auto trains without it and says so; a number fails
    monkeypatch.setitem(source_ner.GOLD, "en", proj / "nowhere" / "train.txt")
    monkeypatch.setattr(source_ner, "fetch_conll", lambda missing: missing)
    assert source_ner.gold("absent.spacy", "auto", "en", 0, ["PER"]) == 0
    assert "n_source_gold auto: " in capsys.readouterr().out
    with pytest.raises(SystemExit, match="n_source_gold needs"):
        source_ner.gold("absent.spacy", 10, "en", 0, ["PER"])


def test_projected_sentences_weighted_against_the_gold_ones(tmp_path, data_root, monkeypatch, capsys):
    """`source_ner.py gold --projected P --projected-copies K` leaves exactly K copies of the projected
    DocBin in the training folder (auto: 3 beside gold sentences, 1 without), and spaCy reads them all."""
    import source_ner
    import spacy
    from spacy.tokens import DocBin
    from spacy.training import Corpus

    proj = _project_with_mirror(tmp_path, data_root, monkeypatch)
    nlp = spacy.blank("xx")
    Path("train").mkdir()
    DocBin(docs=[nlp.make_doc("Buhari ya isa Abuja ."), nlp.make_doc("Kano")]).to_disk("train/projected.spacy")

    def gold(n: str, copies: str) -> int:
        source_ner.main(["gold", "train/source_gold.spacy", "--n", n, "--src-lang", "en", "--projected",
                         "train/projected.spacy", "--projected-copies", copies])
        return len(list(Corpus("train")(nlp)))

    assert gold("50", "auto") == 50 + 3 * 2
    assert sorted(p.name for p in Path("train").iterdir()) == [
        "projected.spacy", "projected_copy2.spacy", "projected_copy3.spacy", "source_gold.spacy"]
    assert "weighted x3" in capsys.readouterr().out
    assert gold("50", "5") == 50 + 5 * 2
    assert gold("50", "1") == 50 + 2  # copies of the earlier runs are removed
    assert gold("0", "auto") == 2  # without gold sentences: the projected file alone
    assert gold("0", "2") == 2 * 2
    for bad in ("0", "-1", "many"):
        with pytest.raises(SystemExit, match="projected_copies must be 'auto' or a number of copies"):
            source_ner.main(["check", "--model", "fr_core_news_md", "--src-lang", "fr", "--projected-copies", bad])
    with pytest.raises(SystemExit, match="no such file"):
        source_ner.weight_projected(Path("train/absent.spacy"), "auto", 10)


def test_source_titles_var_resolves(tmp_path, capsys):
    """`--vars.src_titles auto` is the built-in title list of the source language (en, fr) and
    none, said aloud, for a language without one; a missing file is refused before anything runs."""
    import source_ner

    assert source_ner.resolve_titles("auto", "en") == "en"
    assert source_ner.resolve_titles("auto", "fr") == "fr"
    assert source_ner.resolve_titles("auto", "pt") == "none"
    assert "no built-in list for 'pt'" in capsys.readouterr().out
    assert source_ner.resolve_titles("none", "en") == "none"
    f = tmp_path / "titles.txt"
    f.write_text("Sr\n", encoding="utf8")
    assert source_ner.resolve_titles(str(f), "pt") == str(f)
    with pytest.raises(SystemExit, match="src_titles: --titles .* is neither none, auto"):
        source_ner.resolve_titles(str(tmp_path / "missing.txt"), "pt")


def test_every_var_is_documented_with_its_default():
    """docs/project.md's var table names every var of project.yml, and only those, and a default it
    writes as a literal (in backticks, or a bare number) is the one project.yml sets."""
    raw = srsly.read_yaml(REPO / "project.yml")["vars"]
    documented = {}
    section = (REPO / "docs" / "project.md").read_text(encoding="utf8").split("\n## Vars\n")[1].split("\n## ")[0]
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) < 3:
            continue
        names = [n.strip().strip("`") for n in cells[0].split(",")]
        defaults = [d.strip() for d in cells[1].split(",")] if len(names) > 1 else [cells[1]]
        assert len(defaults) == len(names), f"var row {cells[0]}: {len(names)} names, defaults {cells[1]!r}"
        documented.update(zip(names, defaults))
    assert sorted(set(raw) - set(documented)) == [], "vars of project.yml missing from docs/project.md"
    assert sorted(set(documented) - set(raw)) == [], "docs/project.md documents vars project.yml lacks"
    for name, default in documented.items():
        literal = default[1:-1] if default.startswith("`") and default.endswith("`") else default
        if literal == default and not default.lstrip("-").isdigit():
            continue  # described in words (a model family, not its exact name)
        assert literal == str(raw[name]), f"{name}: docs say {default}, project.yml {raw[name]!r}"


def test_gold_target_names_a_missing_split(tmp_path):
    """`gold_target.py` (the ceiling workflow's data step) checks every split before writing any,
    and names the missing one; the DocBin it writes keeps PER/ORG/LOC and drops DATE."""
    import gold_target
    import spacy
    from spacy.tokens import DocBin

    folder = tmp_path / "hau"
    folder.mkdir()
    (folder / "train.txt").write_text("Shugaba B-PER\nBuhari I-PER\nranar B-DATE\nLitinin I-DATE\n\n", encoding="utf8")
    with pytest.raises(SystemExit, match=r"hau/dev\.txt: no such file"):
        gold_target.main([str(folder), str(tmp_path / "out")])
    assert not (tmp_path / "out").exists()
    (folder / "dev.txt").write_text("Kano B-LOC\n\n", encoding="utf8")
    gold_target.main([str(folder), str(tmp_path / "out")])
    docs = list(DocBin().from_disk(tmp_path / "out" / "train" / "target.spacy").get_docs(spacy.blank("xx").vocab))
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [[("Shugaba Buhari", "PER")]]
