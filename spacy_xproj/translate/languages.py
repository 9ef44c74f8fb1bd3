"""ISO 639 language codes -> translation-model codes (NLLB-200, M2M-100, Marian), and the
language-dependent text helpers around translation (detokenisation, word splitting).

Pure functions, nothing registered. Accepted inputs: ISO 639-1 (``sw``), ISO 639-3 (``swa``,
``swh``), a few ISO 639-2/B aliases (``per``, ``may``, ``chi``) and NLLB codes (``swh_Latn``).
Unknown codes raise :class:`~spacy_xproj.errors.ConfigError` listing close matches.

Coverage: English, the 18 MasakhaNER 2.0 languages and the 39 XTREME (PAN-X) languages of the paper
(NLLB codes exactly as in PAPER.md §1), plus a set of further common languages; any other NLLB code
can be given directly.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from ..errors import ConfigError


@dataclass(frozen=True)
class Language:
    """One language: its ISO codes, NLLB code and English name."""

    iso1: Optional[str]  # ISO 639-1, None if the language has none
    iso3: str  # ISO 639-3 (the individual language NLLB uses where NLLB picks one)
    nllb: str  # NLLB-200 code
    name: str
    aliases: Tuple[str, ...] = ()  # further accepted codes (macro-language, ISO 639-2/B, ...)


# (iso1, iso3, nllb, name, aliases)
_TABLE: Sequence[Tuple[Optional[str], str, str, str, Tuple[str, ...]]] = (
    ("en", "eng", "eng_Latn", "English", ()),
    # --- MasakhaNER 2.0 (18 used by the paper) ---
    ("bm", "bam", "bam_Latn", "Bambara", ()),
    ("ee", "ewe", "ewe_Latn", "Ewe", ()),
    (None, "fon", "fon_Latn", "Fon", ()),
    ("ha", "hau", "hau_Latn", "Hausa", ()),
    ("ig", "ibo", "ibo_Latn", "Igbo", ()),
    ("rw", "kin", "kin_Latn", "Kinyarwanda", ()),
    ("lg", "lug", "lug_Latn", "Luganda", ()),
    (None, "luo", "luo_Latn", "Luo", ()),
    (None, "mos", "mos_Latn", "Mossi", ()),
    ("ny", "nya", "nya_Latn", "Chichewa", ()),
    ("sn", "sna", "sna_Latn", "chiShona", ()),
    ("sw", "swh", "swh_Latn", "Swahili", ("swa",)),
    ("tn", "tsn", "tsn_Latn", "Setswana", ()),
    ("tw", "twi", "twi_Latn", "Twi", ()),
    ("wo", "wol", "wol_Latn", "Wolof", ()),
    ("xh", "xho", "xho_Latn", "isiXhosa", ()),
    ("yo", "yor", "yor_Latn", "Yoruba", ()),
    ("zu", "zul", "zul_Latn", "isiZulu", ()),
    # --- XTREME PAN-X (39 besides English) ---
    ("af", "afr", "afr_Latn", "Afrikaans", ()),
    ("ar", "arb", "arb_Arab", "Arabic", ("ara",)),
    ("bg", "bul", "bul_Cyrl", "Bulgarian", ()),
    ("bn", "ben", "ben_Beng", "Bengali", ()),
    ("de", "deu", "deu_Latn", "German", ("ger",)),
    ("el", "ell", "ell_Grek", "Greek", ("gre",)),
    ("es", "spa", "spa_Latn", "Spanish", ()),
    ("et", "est", "est_Latn", "Estonian", ("ekk",)),
    ("eu", "eus", "eus_Latn", "Basque", ("baq",)),
    ("fa", "pes", "pes_Arab", "Persian", ("fas", "per")),
    ("fi", "fin", "fin_Latn", "Finnish", ()),
    ("fr", "fra", "fra_Latn", "French", ("fre",)),
    ("he", "heb", "heb_Hebr", "Hebrew", ()),
    ("hi", "hin", "hin_Deva", "Hindi", ()),
    ("hu", "hun", "hun_Latn", "Hungarian", ()),
    ("id", "ind", "ind_Latn", "Indonesian", ()),
    ("it", "ita", "ita_Latn", "Italian", ()),
    ("ja", "jpn", "jpn_Jpan", "Japanese", ()),
    ("jv", "jav", "jav_Latn", "Javanese", ()),
    ("ka", "kat", "kat_Geor", "Georgian", ("geo",)),
    ("kk", "kaz", "kaz_Cyrl", "Kazakh", ()),
    ("ko", "kor", "kor_Hang", "Korean", ()),
    ("ml", "mal", "mal_Mlym", "Malayalam", ()),
    ("mr", "mar", "mar_Deva", "Marathi", ()),
    ("ms", "zsm", "zsm_Latn", "Malay", ("msa", "may")),
    ("my", "mya", "mya_Mymr", "Burmese", ("bur",)),
    ("nl", "nld", "nld_Latn", "Dutch", ("dut",)),
    ("pt", "por", "por_Latn", "Portuguese", ()),
    ("ru", "rus", "rus_Cyrl", "Russian", ()),
    ("ta", "tam", "tam_Taml", "Tamil", ()),
    ("te", "tel", "tel_Telu", "Telugu", ()),
    ("th", "tha", "tha_Thai", "Thai", ()),
    ("tl", "tgl", "tgl_Latn", "Tagalog", ("fil",)),
    ("tr", "tur", "tur_Latn", "Turkish", ()),
    ("ur", "urd", "urd_Arab", "Urdu", ()),
    ("vi", "vie", "vie_Latn", "Vietnamese", ()),
    ("zh", "zho", "zho_Hans", "Chinese (simplified)", ("chi", "cmn")),
    # --- further common languages ---
    ("am", "amh", "amh_Ethi", "Amharic", ()),
    ("az", "azj", "azj_Latn", "Azerbaijani", ("aze",)),
    ("be", "bel", "bel_Cyrl", "Belarusian", ()),
    ("ca", "cat", "cat_Latn", "Catalan", ()),
    ("cs", "ces", "ces_Latn", "Czech", ("cze",)),
    ("cy", "cym", "cym_Latn", "Welsh", ("wel",)),
    ("da", "dan", "dan_Latn", "Danish", ()),
    ("ga", "gle", "gle_Latn", "Irish", ()),
    ("gl", "glg", "glg_Latn", "Galician", ()),
    ("gu", "guj", "guj_Gujr", "Gujarati", ()),
    ("hr", "hrv", "hrv_Latn", "Croatian", ()),
    ("hy", "hye", "hye_Armn", "Armenian", ("arm",)),
    ("is", "isl", "isl_Latn", "Icelandic", ("ice",)),
    ("km", "khm", "khm_Khmr", "Khmer", ()),
    ("kn", "kan", "kan_Knda", "Kannada", ()),
    ("lo", "lao", "lao_Laoo", "Lao", ()),
    ("lt", "lit", "lit_Latn", "Lithuanian", ()),
    ("lv", "lvs", "lvs_Latn", "Latvian", ("lav",)),
    ("mk", "mkd", "mkd_Cyrl", "Macedonian", ("mac",)),
    ("ne", "npi", "npi_Deva", "Nepali", ("nep",)),
    ("nb", "nob", "nob_Latn", "Norwegian Bokmål", ("no", "nor")),
    ("om", "gaz", "gaz_Latn", "Oromo", ("orm",)),
    ("pa", "pan", "pan_Guru", "Punjabi", ()),
    ("pl", "pol", "pol_Latn", "Polish", ()),
    ("ro", "ron", "ron_Latn", "Romanian", ("rum",)),
    ("si", "sin", "sin_Sinh", "Sinhala", ()),
    ("sk", "slk", "slk_Latn", "Slovak", ("slo",)),
    ("sl", "slv", "slv_Latn", "Slovenian", ()),
    ("so", "som", "som_Latn", "Somali", ()),
    ("sq", "als", "als_Latn", "Albanian", ("sqi", "alb")),
    ("sr", "srp", "srp_Cyrl", "Serbian", ()),
    ("sv", "swe", "swe_Latn", "Swedish", ()),
    ("ti", "tir", "tir_Ethi", "Tigrinya", ()),
    ("uk", "ukr", "ukr_Cyrl", "Ukrainian", ()),
    ("uz", "uzn", "uzn_Latn", "Uzbek", ("uzb",)),
    (None, "nso", "nso_Latn", "Northern Sotho", ()),
    ("ss", "ssw", "ssw_Latn", "Swati", ()),
    ("st", "sot", "sot_Latn", "Southern Sotho", ()),
    ("ts", "tso", "tso_Latn", "Tsonga", ()),
    ("ln", "lin", "lin_Latn", "Lingala", ()),
    ("ff", "fuv", "fuv_Latn", "Fula (Nigerian)", ("ful",)),
)

LANGUAGES: List[Language] = [Language(*row) for row in _TABLE]

# The paper's language sets (PAPER.md §1).
MASAKHANER_LANGS: Tuple[str, ...] = (
    "bam", "ewe", "fon", "hau", "ibo", "kin", "lug", "luo", "mos",
    "nya", "sna", "swa", "tsn", "twi", "wol", "xho", "yor", "zul",
)  # fmt: skip
XTREME_LANGS: Tuple[str, ...] = (
    "af", "ar", "bg", "bn", "de", "el", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu",
    "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru", "sw",
    "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh",
)  # fmt: skip
PAPER_LANGS: Tuple[str, ...] = XTREME_LANGS + MASAKHANER_LANGS

# Every language code of NLLB-200 (transformers' NllbTokenizer list), so that any NLLB code can be
# given directly even when the table above does not name the language.
NLLB_CODES: Tuple[str, ...] = tuple(
    """ace_Arab ace_Latn acm_Arab acq_Arab aeb_Arab afr_Latn ajp_Arab aka_Latn amh_Ethi apc_Arab
    arb_Arab ars_Arab ary_Arab arz_Arab asm_Beng ast_Latn awa_Deva ayr_Latn azb_Arab azj_Latn
    bak_Cyrl bam_Latn ban_Latn bel_Cyrl bem_Latn ben_Beng bho_Deva bjn_Arab bjn_Latn bod_Tibt
    bos_Latn bug_Latn bul_Cyrl cat_Latn ceb_Latn ces_Latn cjk_Latn ckb_Arab crh_Latn cym_Latn
    dan_Latn deu_Latn dik_Latn dyu_Latn dzo_Tibt ell_Grek eng_Latn epo_Latn est_Latn eus_Latn
    ewe_Latn fao_Latn pes_Arab fij_Latn fin_Latn fon_Latn fra_Latn fur_Latn fuv_Latn gla_Latn
    gle_Latn glg_Latn grn_Latn guj_Gujr hat_Latn hau_Latn heb_Hebr hin_Deva hne_Deva hrv_Latn
    hun_Latn hye_Armn ibo_Latn ilo_Latn ind_Latn isl_Latn ita_Latn jav_Latn jpn_Jpan kab_Latn
    kac_Latn kam_Latn kan_Knda kas_Arab kas_Deva kat_Geor knc_Arab knc_Latn kaz_Cyrl kbp_Latn
    kea_Latn khm_Khmr kik_Latn kin_Latn kir_Cyrl kmb_Latn kon_Latn kor_Hang kmr_Latn lao_Laoo
    lvs_Latn lij_Latn lim_Latn lin_Latn lit_Latn lmo_Latn ltg_Latn ltz_Latn lua_Latn lug_Latn
    luo_Latn lus_Latn mag_Deva mai_Deva mal_Mlym mar_Deva min_Latn mkd_Cyrl plt_Latn mlt_Latn
    mni_Beng khk_Cyrl mos_Latn mri_Latn zsm_Latn mya_Mymr nld_Latn nno_Latn nob_Latn npi_Deva
    nso_Latn nus_Latn nya_Latn oci_Latn gaz_Latn ory_Orya pag_Latn pan_Guru pap_Latn pol_Latn
    por_Latn prs_Arab pbt_Arab quy_Latn ron_Latn run_Latn rus_Cyrl sag_Latn san_Deva sat_Beng
    scn_Latn shn_Mymr sin_Sinh slk_Latn slv_Latn smo_Latn sna_Latn snd_Arab som_Latn sot_Latn
    spa_Latn als_Latn srd_Latn srp_Cyrl ssw_Latn sun_Latn swe_Latn swh_Latn szl_Latn tam_Taml
    tat_Cyrl tel_Telu tgk_Cyrl tgl_Latn tha_Thai tir_Ethi taq_Latn taq_Tfng tpi_Latn tsn_Latn
    tso_Latn tuk_Latn tum_Latn tur_Latn twi_Latn tzm_Tfng uig_Arab ukr_Cyrl umb_Latn urd_Arab
    uzn_Latn vec_Latn vie_Latn war_Latn wol_Latn xho_Latn ydd_Hebr yor_Latn yue_Hant zho_Hans
    zho_Hant zul_Latn""".split()
)

# M2M-100 (facebook/m2m100_418M, _1.2B) language codes.
M2M100_CODES: Tuple[str, ...] = tuple(
    """af am ar ast az ba be bg bn br bs ca ceb cs cy da de el en es et fa ff fi fr fy ga gd gl gu ha
    he hi hr ht hu hy id ig ilo is it ja jv ka kk km kn ko lb lg ln lo lt lv mg mk ml mn mr ms my ne
    nl no ns oc or pa pl ps pt ro ru sd si sk sl so sq sr ss su sv sw ta th tl tn tr uk ur uz vi wo
    xh yi yo zh zu""".split()
)

# Scripts written without spaces between words: the output is split per character (see split_words).
NO_SPACE_LANGS = frozenset({"ja", "zh", "th", "my", "lo", "km", "bo", "dz", "yue"})

_INDEX: Dict[str, Language] = {}
for _lang in LANGUAGES:
    for _code in (_lang.iso1, _lang.iso3, _lang.nllb, *_lang.aliases):
        if _code:
            _INDEX.setdefault(_code.lower(), _lang)
_NLLB_LOWER = {c.lower(): c for c in NLLB_CODES}


def _suggest(code: str, n: int = 5) -> List[str]:
    """Close matches for an unknown code (one entry per language, shown in the input's form)."""
    key = code.strip().lower()
    names = {lang.name.lower(): lang for lang in LANGUAGES}
    pool = list(_INDEX) + list(_NLLB_LOWER)
    matches = difflib.get_close_matches(key, pool, n=3 * n, cutoff=0.5)
    found: List[Language] = [_INDEX[m] for m in matches if m in _INDEX]
    found += [names[m] for m in difflib.get_close_matches(key, list(names), n=2, cutoff=0.6)]
    out: List[str] = []
    seen = set()
    for lang in found:
        if lang.nllb in seen:
            continue
        seen.add(lang.nllb)
        forms = [c for c in (lang.iso1, lang.iso3, *lang.aliases) if c]
        same_len = [c for c in forms if len(c) == len(key)]
        shown = lang.nllb if "_" in key else (same_len[0] if same_len else forms[0])
        out.append(f"{shown} ({lang.name})")
    out += [_NLLB_LOWER[m] for m in matches if m in _NLLB_LOWER and _NLLB_LOWER[m] not in seen]
    return out[:n]


def _unknown(code: str, what: str = "language code") -> ConfigError:
    hints = _suggest(code)
    hint = f"; did you mean: {', '.join(hints)}?" if hints else ""
    return ConfigError(
        f"unknown {what} {code!r}{hint} (give an ISO 639-1 code like 'sw', an ISO 639-3 code "
        f"like 'swa', or an NLLB code like 'swh_Latn')"
    )


def get_language(code: str) -> Language:
    """The :class:`Language` for any accepted code; ``ConfigError`` with suggestions otherwise."""
    if not isinstance(code, str) or not code.strip():
        raise ConfigError(f"a language code must be a non-empty string, got {code!r}")
    key = code.strip().lower().replace("-", "_")
    if key in _INDEX:
        return _INDEX[key]
    if key in _NLLB_LOWER:  # an NLLB code the table does not name: derive the rest
        nllb = _NLLB_LOWER[key]
        return Language(None, nllb.split("_")[0], nllb, nllb)
    prefix = [c for c in NLLB_CODES if c.split("_")[0] == key]
    if len(prefix) == 1:  # an ISO 639-3 code NLLB has in one script only
        return Language(None, key, prefix[0], prefix[0])
    raise _unknown(code)


def nllb_code(code: str) -> str:
    """NLLB-200 code, e.g. ``hau -> hau_Latn``, ``sw``/``swa -> swh_Latn``, ``fa -> pes_Arab``."""
    return get_language(code).nllb


def m2m100_code(code: str) -> str:
    """M2M-100 code (ISO 639-1 style, e.g. ``hau -> ha``); ``ConfigError`` if M2M-100 lacks it."""
    lang = get_language(code)
    for cand in (lang.iso1, lang.iso3, *lang.aliases):
        if cand and cand in M2M100_CODES:
            return cand
    if lang.iso3 == "nso":
        return "ns"
    raise ConfigError(
        f"M2M-100 does not cover {lang.name} ({code!r}); use an NLLB-200 model instead"
    )


def marian_codes(code: str) -> List[str]:
    """Candidate target-token codes for multi-target Marian models, best first (``>>xxx<<``)."""
    lang = get_language(code)
    out: List[str] = []
    for cand in (lang.iso3, *lang.aliases, lang.nllb, lang.iso1):
        if cand and cand not in out:
            out.append(cand)
    return out


def marian_target_token(code: str, vocab: Iterable[str]) -> Optional[str]:
    """The ``>>xxx<<`` token of a multi-target Marian vocab for ``code``; None if the vocab has no
    language tokens (a one-direction model); ``ConfigError`` if it has some but not this one."""
    tokens = {t for t in vocab if t.startswith(">>") and t.endswith("<<")}
    if not tokens:
        return None
    for cand in marian_codes(code):
        if f">>{cand}<<" in tokens:
            return f">>{cand}<<"
    raise ConfigError(
        f"this multi-target Marian model has no target token for {code!r} "
        f"(tried {', '.join('>>%s<<' % c for c in marian_codes(code))}; it knows "
        f"{', '.join(sorted(tokens)[:20])}{' ...' if len(tokens) > 20 else ''})"
    )


def marian_model_code(code: str) -> str:
    """The code used in OPUS-MT model names (``Helsinki-NLP/opus-mt-{src}-{tgt}``): ISO 639-1 if
    the language has one, else ISO 639-3."""
    lang = get_language(code)
    return lang.iso1 or lang.iso3


def spacy_code(code: str) -> str:
    """The code to build a spaCy tokenizer with (``spacy_xproj.doc.blank`` falls back to ``xx``)."""
    lang = get_language(code)
    return lang.iso1 or lang.iso3


def uses_spaces(code: str) -> bool:
    """False for scripts written without spaces between words (ja, zh, th, my, lo, km, ...)."""
    try:
        lang = get_language(code)
    except ConfigError:
        return True
    return (lang.iso1 or lang.iso3) not in NO_SPACE_LANGS and lang.iso3 not in NO_SPACE_LANGS


# ---------------------------------------------------------------- detokenisation / word splitting

_NO_SPACE_BEFORE = re.compile(r"^(?:[.,;:!?%)\]}»”’]|\.\.\.|'s|'S|n't|N'T|'re|'ve|'ll|'d|'m|'RE|'VE|'LL|'D|'M)$")
_NO_SPACE_AFTER = re.compile(r"^[(\[{«“‘$£€¿¡]$")


def detokenize(words: Sequence[str], lang: str = "en") -> str:
    """Words -> text, a small Treebank-style detokeniser (the paper uses NLTK's
    ``TreebankWordDetokenizer``; NLTK is not a dependency). No space before closing punctuation
    and English clitics, none after opening brackets; straight double quotes alternate between
    opening and closing. Languages without spaces (ja, zh, th, ...) are joined with ``""`` as in
    the paper."""
    words = [w for w in words if w != ""]
    if not words:
        return ""
    if not uses_spaces(lang):
        return "".join(words)
    out: List[str] = []
    attach_next = False
    open_quote = False
    for w in words:
        if w in ('"', "``", "''"):
            w_out = '"'
            if w == "``" or (w == '"' and not open_quote):
                open_quote = True
                out.append(("" if (attach_next or not out) else " ") + w_out)
                attach_next = True
                continue
            open_quote = False
            out.append(w_out)
            attach_next = False
            continue
        if not out or attach_next or _NO_SPACE_BEFORE.match(w):
            out.append(w)
        else:
            out.append(" " + w)
        attach_next = bool(_NO_SPACE_AFTER.match(w))
    return "".join(out)


def _char_units(text: str) -> Tuple[List[str], List[bool]]:
    """Per-character words for scripts without spaces: combining marks stay with their base
    character, runs of ASCII letters/digits stay whole; whitespace becomes ``spaces``."""
    words: List[str] = []
    spaces: List[bool] = []
    for ch in text:
        if ch.isspace():
            if words:
                spaces[-1] = True
            continue
        cat = unicodedata.category(ch)
        joins_prev = words and not spaces[-1] and (
            cat in ("Mn", "Mc", "Me") or ch in "\u200c\u200d"
            or (ch.isascii() and ch.isalnum() and words[-1][-1].isascii() and words[-1][-1].isalnum())
        )
        if joins_prev:
            words[-1] += ch
        else:
            words.append(ch)
            spaces.append(False)
    return words, spaces


_TOKENIZERS: Dict[str, object] = {}


def split_words(text: str, lang: str) -> Tuple[List[str], List[bool]]:
    """Text -> ``(words, spaces)``: the language's spaCy tokenizer (``spacy_xproj.doc.blank``,
    which falls back to the multi-language ``xx`` tokenizer), or per-character units for scripts
    without spaces. Whitespace-only tokens are dropped (their space goes to the previous word)."""
    if not uses_spaces(lang):
        return _char_units(text)
    code = spacy_code(lang) if _is_known(lang) else lang
    if code not in _TOKENIZERS:
        from ..doc import blank

        _TOKENIZERS[code] = blank(code).tokenizer
    doc = _TOKENIZERS[code](text)  # type: ignore[operator]
    words: List[str] = []
    spaces: List[bool] = []
    for tok in doc:
        if tok.is_space:
            if words:
                spaces[-1] = True
            continue
        words.append(tok.text)
        spaces.append(bool(tok.whitespace_))
    return words, spaces


def _is_known(code: str) -> bool:
    try:
        get_language(code)
        return True
    except ConfigError:
        return False
