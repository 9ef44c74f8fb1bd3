"""Tiny random BERT / XLM-R-style encoders with a handwritten WordPiece vocabulary, for tests.

The hub is unreachable, so tests write a small random model and its tokenizer to a directory and
load them through the real path (``AutoModel.from_pretrained(path)``,
``AutoTokenizer.from_pretrained(path)``). Everything is seeded: the same arguments give the same
weights. Build once per session in a fixture::

    @pytest.fixture(scope="session")
    def tiny_bert(tmp_path_factory):
        return make_tiny_bert(tmp_path_factory.mktemp("tiny_bert"))

The vocabulary holds a few hundred English, German and Hausa-like words and subword pieces plus
every ASCII letter/digit/punctuation mark and common accented letters as stand-alone and ``##``
pieces, so every word in the tests' data tokenizes (rare scripts become ``[UNK]``).
"""
from __future__ import annotations

import string
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Union

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

_ENGLISH = """
the of and to in a is that for it as was with be by on not he this are or his from at which but
have an they you were her she there been one all we their has would when if so no will more can
said who what about up out them some could into than then other these two its only new time may
also first over after most made year years people state states world government president
parliament european europe union commission council member members committee report minister
country countries policy debate question vote session house madam mr mrs sir thank you very much
resumption declare adjourned friday december wish happy holiday again pleasant festive period
I me my our us your him its do does did done make say see know think take come give go going
good great important need must should would like want many every each any same own such well
Paris London Berlin Germany German England English France French Spain Spanish Italy Italian
Brussels Strasbourg Nigeria Kano Lagos Abuja Africa African John Maria Peter Anna Musa Aisha
Obama Merkel Schulz Smith Buhari BBC UN EU NATO Reuters Monday Tuesday today tomorrow yesterday
city town river water school church market bank money news company team police army minister
man woman men women child children family friend book house car road day week month
is nice big small old young long short high low right left yes no peace war law rights
""".split()

_GERMAN = """
der die das und in zu den von mit sich des auf für ist im nicht ein eine als auch es an werden
aus er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur
oder aber vor zur bis mehr durch man sein wurde sei ich wir ihr Sie uns unser unsere Ihnen
Herr Frau Präsident Präsidentin Parlament Europäische Europäischen Union Kommission Rat Mitglied
Mitglieder Ausschuss Bericht Minister Land Länder Politik Aussprache Frage Abstimmung Sitzung
Sitzungsperiode Wiederaufnahme unterbrochene erkläre Freitag Dezember wünsche schön schöne
Deutschland Frankreich Spanien Italien England Europa Afrika Brüssel Straßburg Berlin Paris
ist sehr gut groß klein alt jung lang kurz hoch Recht Rechte Frieden Krieg Gesetz Jahr Jahre
Stadt Fluss Wasser Schule Kirche Markt Bank Geld Nachrichten Firma Polizei Mann Frau Kind
Kinder Familie Freund Buch Haus Auto Straße Tag Woche Monat heute morgen gestern danke vielen
""".split()

_HAUSA = """
da na a ta ya su ba ne ce wa shi ita mu ku kuma amma don domin saboda daga zuwa cikin kan
gwamnati shugaba shugaban ƙasa ƙasar jihar birnin garin yau gobe jiya mutane mutum yara
Najeriya Kano Legas Abuja Afirka Musa Aisha Ibrahim Bala Hadiza labarai kamfani 'yan sanda
ruwa makaranta masallaci kasuwa kuɗi iyali aboki littafi gida mota hanya rana mako wata shekara
ɗan ɗaya biyu uku huɗu sabon babba ƙarami nan can ina yaya me wane yana tana suna muna
""".split()

_PIECES = """
##s ##es ##ed ##ing ##er ##ers ##ly ##tion ##tions ##ment ##ments ##ness ##al ##ic ##ity ##ies
##en ##ern ##ung ##ungen ##heit ##keit ##lich ##ig ##isch ##ische ##ischen ##te ##ten ##st ##t
##e ##n ##r ##m ##in ##innen ##schaft ##ar ##an ##ai ##ci ##wa ##ki ##ri ##ni ##na ##ta ##ya
##ar ##or ##on ##ou ##ch ##sch ##th ##ab ##ag ##ast ##ord ##ung ##ver ##bar ##ful ##less
##able ##ism ##ist ##ists ##ous ##ive ##ize ##ise ##ised ##ized ##ian ##ians ##ean ##eans
""".split()

_CHARS = list(string.ascii_letters + string.digits) + list("äöüÄÖÜßéèêáàâíóúñçœɗƙɓƴƊƘƁƳ'")
_PUNCT = list(string.punctuation) + ["–", "—", "„", "“", "”", "‘", "’", "€", "£", "…"]


def tiny_vocab(extra_words: Iterable[str] = ()) -> List[str]:
    """The handwritten WordPiece vocabulary (specials first, no duplicates, fixed order)."""
    seen = set()
    vocab: List[str] = []
    chars = _CHARS + _PUNCT
    for tok in (
        SPECIAL_TOKENS
        + _ENGLISH
        + _GERMAN
        + _HAUSA
        + list(extra_words)
        + _PIECES
        + chars
        + ["##" + c for c in _CHARS]
    ):
        if tok not in seen:
            seen.add(tok)
            vocab.append(tok)
    return vocab


DEFAULT_LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]


def make_tiny_bert(
    path: Union[str, Path],
    model_type: str = "bert",
    num_layers: int = 2,
    num_labels: Optional[int] = None,
    labels: Optional[Sequence[str]] = None,
    hidden_size: int = 32,
    num_heads: int = 2,
    intermediate_size: int = 64,
    max_position_embeddings: int = 512,
    seed: int = 0,
    extra_words: Iterable[str] = (),
) -> Path:
    """Write a tiny random encoder and its WordPiece tokenizer to ``path``; return ``path``.

    * ``model_type="bert"``: ``BertModel``; ``"xlm-roberta"``: ``XLMRobertaModel`` (RoBERTa-style
      position ids, so its config holds ``max_position_embeddings + pad_token_id + 1`` positions)
      with the same WordPiece tokenizer.
    * ``num_labels`` / ``labels``: save a ``*ForTokenClassification`` model instead, with
      ``id2label`` from ``labels`` (default: the first ``num_labels`` of
      O, B-PER, I-PER, B-ORG, I-ORG, B-LOC, I-LOC, B-MISC, I-MISC).
    * ``max_position_embeddings``: the longest input the model accepts, special tokens included
      (also saved as the tokenizer's ``model_max_length``).

    Loadable with ``AutoModel.from_pretrained(path)`` / ``AutoTokenizer.from_pretrained(path)``
    (and ``AutoModelForTokenClassification`` when labelled). Deterministic for a given ``seed``.
    """
    import torch
    import transformers
    from transformers import BertTokenizerFast

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = tiny_vocab(extra_words)
    vocab_file = path / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf8")
    tokenizer = BertTokenizerFast(
        vocab_file=str(vocab_file),
        do_lower_case=False,
        strip_accents=False,
        tokenize_chinese_chars=True,
        model_max_length=max_position_embeddings,
    )
    pad_id = vocab.index("[PAD]")

    if labels is None and num_labels is not None:
        if num_labels <= len(DEFAULT_LABELS):
            labels = DEFAULT_LABELS[:num_labels]
        else:
            labels = DEFAULT_LABELS + [f"LABEL_{i}" for i in range(len(DEFAULT_LABELS), num_labels)]
    common = dict(
        vocab_size=len(vocab),
        hidden_size=hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        intermediate_size=intermediate_size,
        pad_token_id=pad_id,
        type_vocab_size=2 if model_type == "bert" else 1,
    )
    if labels is not None:
        common["id2label"] = {i: lab for i, lab in enumerate(labels)}
        common["label2id"] = {lab: i for i, lab in enumerate(labels)}
    if model_type == "bert":
        config = transformers.BertConfig(max_position_embeddings=max_position_embeddings, **common)
        model_cls = transformers.BertForTokenClassification if labels else transformers.BertModel
    elif model_type in ("xlm-roberta", "xlmr", "roberta"):
        config = transformers.XLMRobertaConfig(
            max_position_embeddings=max_position_embeddings + pad_id + 1,
            bos_token_id=vocab.index("[CLS]"),
            eos_token_id=vocab.index("[SEP]"),
            **common,
        )
        model_cls = (
            transformers.XLMRobertaForTokenClassification if labels else transformers.XLMRobertaModel
        )
    else:
        raise ValueError(f"model_type must be 'bert' or 'xlm-roberta', got {model_type!r}")

    with torch.random.fork_rng(devices=[]):  # seeded without touching the caller's RNG state
        torch.manual_seed(seed)
        model = model_cls(config)
    model.eval()
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path
