"""Titles before person names are trimmed from labelled source entities (``xproj label --titles``)."""
import pytest
import spacy
from typer.testing import CliRunner

from spacy_xproj.cli.app import app
from spacy_xproj.corpus.jsonl import read_pairs, write_pairs
from spacy_xproj.errors import ConfigError
from spacy_xproj.label.titles import TITLES, load_titles, trim_pair_titles, trim_titles
from spacy_xproj.types import Entity, Pair, Side

EN = TITLES["en"]


@pytest.mark.parametrize(
    "words,ents,expected,counts",
    [
        # the title is not part of the name; other types and other words are left alone
        ("Mr Jack Robinson met Governor Obiano".split(), [Entity(0, 3, "PER"), Entity(4, 6, "PER")],
         [Entity(1, 3, "PER"), Entity(5, 6, "PER")], (2, 0)),
        # several titles, a full stop written as its own word, upper case
        ("VICE President Dr . Yemi Osinbajo".split(), [Entity(0, 6, "PER")], [Entity(4, 6, "PER")], (1, 0)),
        ("Mr. Smith".split(), [Entity(0, 2, "PER")], [Entity(1, 2, "PER")], (1, 0)),
        # a title alone is no name: dropped
        ("the Governor said".split(), [Entity(1, 2, "PER")], [], (0, 1)),
        ("Mr .".split(), [Entity(0, 2, "PER")], [], (0, 1)),
        # ORG and LOC keep their words (President's Office, Prince Edward Island)
        ("Governor of Imo State".split(), [Entity(0, 4, "ORG")], [Entity(0, 4, "ORG")], (0, 0)),
        ("Prince Edward Island".split(), [Entity(0, 3, "LOC")], [Entity(0, 3, "LOC")], (0, 0)),
        # titles inside or after a name stay: only the start is trimmed
        ("Martin Luther King".split(), [Entity(0, 3, "PER")], [Entity(0, 3, "PER")], (0, 0)),
    ],
)
def test_trim_titles(words, ents, expected, counts):
    out, trimmed, dropped = trim_titles(words, ents, EN)
    assert out == expected and (trimmed, dropped) == counts


def test_load_titles(tmp_path):
    assert load_titles("none") is None
    assert "mr" in load_titles("auto")("en") and "mme" in load_titles("auto")("fr")
    assert load_titles("fr")("en") == TITLES["fr"]
    f = tmp_path / "titles.txt"
    f.write_text("# Portuguese\nSr.\nDona\n\n", encoding="utf8")
    assert load_titles(str(f))("pt") == {"sr", "dona"}
    with pytest.raises(ConfigError, match="no built-in list of titles for the source language 'de'"):
        load_titles("auto")("de")
    with pytest.raises(ConfigError, match="neither none, auto"):
        load_titles(str(tmp_path / "missing.txt"))
    f.write_text("Sr. Dona\n", encoding="utf8")
    with pytest.raises(ConfigError, match=r"titles.txt:1: one title per line"):
        load_titles(str(f))


def test_trim_pair_titles_keeps_the_other_side():
    pair = Pair("p", Side("en", "Mr Jack Robinson".split(), [Entity(0, 3, "PER")]),
                Side("ibo", "Maazị Jack Robinson".split(), [Entity(0, 3, "PER")]))
    out, trimmed, dropped = trim_pair_titles([pair], "src", load_titles("auto"))
    assert out[0].src.ents == [Entity(1, 3, "PER")] and out[0].tgt == pair.tgt and (trimmed, dropped) == (1, 0)
    assert out[0].src.words == pair.src.words and out[0].id == "p"


@pytest.fixture(scope="module")
def title_ruler(tmp_path_factory):
    """A pipeline that, like a Reuters-trained NER on other text, takes the title into the name."""
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([
        {"label": "PERSON", "pattern": [{"LOWER": "governor"}, {"LOWER": "willie"}, {"LOWER": "obiano"}]},
        {"label": "PERSON", "pattern": [{"LOWER": "mr"}]},
        {"label": "GPE", "pattern": "Awka"},
    ])
    path = tmp_path_factory.mktemp("titles") / "pipe"
    nlp.to_disk(path)
    return str(path)


def test_cli_label_titles(title_ruler, tmp_path):
    src = tmp_path / "in.jsonl"
    words = "Governor Willie Obiano met Mr in Awka".split()
    write_pairs(src, [Pair("p0", Side("en", words, []), Side("ibo", ["Gọvanọ", "Willie", "Obianọ"], []))])
    base = ["label", str(src), "--model", title_ruler, "--backend", "spacy", "--no-progress"]
    r = CliRunner().invoke(app, [base[0], base[1], str(tmp_path / "plain.jsonl"), *base[2:]])
    assert r.exit_code == 0, r.output
    assert next(read_pairs(tmp_path / "plain.jsonl")).src.ents == [Entity(0, 3, "PER"), Entity(4, 5, "PER"), Entity(6, 7, "LOC")]
    r = CliRunner().invoke(app, [base[0], base[1], str(tmp_path / "trimmed.jsonl"), *base[2:], "--titles", "auto"])
    assert r.exit_code == 0, r.output
    assert next(read_pairs(tmp_path / "trimmed.jsonl")).src.ents == [Entity(1, 3, "PER"), Entity(6, 7, "LOC")]
    assert "titles_trimmed=1" in r.output and "title_only_entities_dropped=1" in r.output
    # the target side keeps its gold entities unless --ents: nothing to trim there
    r = CliRunner().invoke(app, [base[0], base[1], str(tmp_path / "t.jsonl"), *base[2:], "--side", "tgt", "--titles", "auto"])
    assert r.exit_code != 0 and "use it with --ents" in str(r.exception)
    # a source language without a built-in list is named
    write_pairs(tmp_path / "de.jsonl", [Pair("d0", Side("de", words, []), Side("ibo", ["x"], []))])
    r = CliRunner().invoke(app, ["label", str(tmp_path / "de.jsonl"), str(tmp_path / "de_out.jsonl"), *base[2:], "--titles", "auto"])
    assert r.exit_code != 0 and "'de'" in str(r.exception)
