"""Language-code mapping (all 57 paper languages), unknown-code errors, detokenisation, splitting."""
from __future__ import annotations

import unicodedata

import pytest

from spacy_xproj.errors import ConfigError
from spacy_xproj.translate import languages as L

# PAPER.md §1, XTREME: ISO code -> NLLB code as used by the paper's code.
PAPER_XTREME = dict(
    pair.split()
    for pair in """af afr_Latn, ar arb_Arab, bg bul_Cyrl, bn ben_Beng, de deu_Latn, el ell_Grek,
    es spa_Latn, et est_Latn, eu eus_Latn, fa pes_Arab, fi fin_Latn, fr fra_Latn, he heb_Hebr,
    hi hin_Deva, hu hun_Latn, id ind_Latn, it ita_Latn, ja jpn_Jpan, jv jav_Latn, ka kat_Geor,
    kk kaz_Cyrl, ko kor_Hang, ml mal_Mlym, mr mar_Deva, ms zsm_Latn, my mya_Mymr, nl nld_Latn,
    pt por_Latn, ru rus_Cyrl, sw swh_Latn, ta tam_Taml, te tel_Telu, th tha_Thai, tl tgl_Latn,
    tr tur_Latn, ur urd_Arab, vi vie_Latn, yo yor_Latn, zh zho_Hans""".split(",")
)
# PAPER.md §1, MasakhaNER 2.0: "<lang>_Latn" (swa -> swh_Latn).
PAPER_MASAKHANER = {
    code: ("swh_Latn" if code == "swa" else f"{code}_Latn")
    for code in "bam ewe fon hau ibo kin lug luo mos nya sna swa tsn twi wol xho yor zul".split()
}


def test_paper_language_sets_have_57_codes():
    assert len(PAPER_XTREME) == 39 and len(PAPER_MASAKHANER) == 18
    assert set(L.XTREME_LANGS) == set(PAPER_XTREME)
    assert set(L.MASAKHANER_LANGS) == set(PAPER_MASAKHANER)
    assert len(L.PAPER_LANGS) == 57


@pytest.mark.parametrize("code", sorted({**PAPER_XTREME, **PAPER_MASAKHANER}))
def test_nllb_codes_equal_the_papers(code):
    expected = {**PAPER_XTREME, **PAPER_MASAKHANER}[code]
    assert L.nllb_code(code) == expected
    assert expected in L.NLLB_CODES
    # every alias of the same language maps to the same NLLB code
    lang = L.get_language(code)
    for alias in (lang.iso1, lang.iso3, lang.nllb, *lang.aliases):
        if alias:
            assert L.nllb_code(alias) == expected
            assert L.nllb_code(alias.upper()) == expected


def test_nllb_list_matches_transformers():
    from transformers.models.nllb.tokenization_nllb import FAIRSEQ_LANGUAGE_CODES

    assert list(L.NLLB_CODES) == list(FAIRSEQ_LANGUAGE_CODES)
    for lang in L.LANGUAGES:
        assert lang.nllb in FAIRSEQ_LANGUAGE_CODES, lang


def test_english_and_special_cases():
    assert L.nllb_code("en") == L.nllb_code("eng") == "eng_Latn"
    assert L.nllb_code("sw") == L.nllb_code("swa") == L.nllb_code("swh") == "swh_Latn"
    assert L.nllb_code("ms") == "zsm_Latn" and L.nllb_code("fa") == "pes_Arab"
    assert L.nllb_code("zh") == "zho_Hans"
    assert L.nllb_code("hau_Latn") == "hau_Latn"
    assert L.nllb_code("ace_Arab") == "ace_Arab"  # any NLLB code works directly
    assert L.nllb_code("bem") == "bem_Latn"  # an ISO 639-3 code NLLB has in one script


def test_m2m100_codes():
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    assert list(L.M2M100_CODES) == FAIRSEQ_LANGUAGE_CODES["m2m100"]
    assert L.m2m100_code("hau") == "ha" and L.m2m100_code("swa") == "sw"
    assert L.m2m100_code("en") == "en" and L.m2m100_code("zul") == "zu"
    for code in PAPER_XTREME:
        if code not in ("eu", "te"):
            assert L.m2m100_code(code) in FAIRSEQ_LANGUAGE_CODES["m2m100"]
    with pytest.raises(ConfigError, match="M2M-100 does not cover"):
        L.m2m100_code("fon")


def test_marian_codes():
    vocab = [">>hau<<", ">>eng<<", ">>swh<<", "▁a"]
    assert L.marian_target_token("ha", vocab) == ">>hau<<"
    assert L.marian_target_token("swa", vocab) == ">>swh<<"
    assert L.marian_target_token("en", ["▁a", "b"]) is None  # one-direction model
    with pytest.raises(ConfigError, match="no target token"):
        L.marian_target_token("yor", vocab)
    assert L.marian_model_code("hau") == "ha" and L.marian_model_code("fon") == "fon"


@pytest.mark.parametrize("bad,hint", [("hua", "hau (Hausa)"), ("swahili", "Swahili"), ("zul_latn", "zul_Latn (isiZulu)"), ("yorr", "Yoruba")])
def test_unknown_code_error_lists_close_matches(bad, hint):
    with pytest.raises(ConfigError) as err:
        L.nllb_code(bad) if bad != "zul_latn" else L.nllb_code("zul_Latm")
    msg = str(err.value)
    assert "unknown language code" in msg and "did you mean" in msg
    assert hint in msg


@pytest.mark.parametrize("bad", ["", "   ", None, 3])
def test_empty_or_non_string_code(bad):
    with pytest.raises(ConfigError):
        L.get_language(bad)  # type: ignore[arg-type]


def test_detokenize():
    assert L.detokenize(["Hello", ",", "world", "!"]) == "Hello, world!"
    assert L.detokenize(["He", "said", '"', "no", '"', "."]) == 'He said "no".'
    assert L.detokenize(["I", "do", "n't", "(", "really", ")", "know", "it", "'s"]) == "I don't (really) know it's"
    assert L.detokenize(["Abuja", ":", "50", "%"]) == "Abuja: 50%"
    assert L.detokenize([]) == ""
    assert L.detokenize(["東京", "に", "行く"], "ja") == "東京に行く"
    assert L.detokenize(["ก", "า"], "th") == "กา"


def test_split_words_spacy_and_characters():
    words, spaces = L.split_words("Hello, world!", "en")
    assert words == ["Hello", ",", "world", "!"] and spaces == [False, True, False, False]
    words, _ = L.split_words("Shugaba Buhari ya ziyarci Abuja.", "hau")  # no spaCy 'ha': xx
    assert words == ["Shugaba", "Buhari", "ya", "ziyarci", "Abuja", "."]
    words, spaces = L.split_words("東京に行く iPhone12", "ja")
    assert words == ["東", "京", "に", "行", "く", "iPhone12"]
    assert spaces == [False, False, False, False, True, False]
    words, _ = L.split_words("กินข้าว", "th")  # combining marks stay with their base letter
    assert "".join(words) == "กินข้าว"
    assert all(unicodedata.category(w[0]) not in ("Mn", "Mc") for w in words)
    assert words == ["กิ", "น", "ข้", "า", "ว"]  # the vowel/tone marks stay with their letter

    assert L.split_words("", "en") == ([], [])
    assert L.split_words("  a  b ", "en")[0] == ["a", "b"]
