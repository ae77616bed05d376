"""chef.spanish"""

import re
import unicodedata

from chef.dishes import PARTICIPLE_OF

ENDINGS = {("m", "sg"): "o", ("f", "sg"): "a", ("m", "pl"): "os", ("f", "pl"): "as"}


# ---------------------------------------------------------------------------
# Spanish helpers
# ---------------------------------------------------------------------------
DEFINITE = {("m", "sg"): "el", ("f", "sg"): "la", ("m", "pl"): "los", ("f", "pl"): "las"}
# Feminine nouns starting with a stressed a take "el"/"un" in the singular ("el agua").
STRESSED_A = ("agua",)
_Y_BEFORE_I = re.compile(r"\b([yY])(\s+)(?=[hH]?[iIíÍ](?![aeouáéóúAEOUÁÉÓÚ]))")
_O_BEFORE_O = re.compile(r"\b([oO])(\s+)(?=[hH]?[oOóÓ])")


def fix_conjunctions(text: str) -> str:
    """'y' -> 'e' before an i-/hi- sound (not hie-), 'o' -> 'u' before an o-/ho- sound."""
    text = _Y_BEFORE_I.sub(lambda m: ("e" if m.group(1) == "y" else "E") + m.group(2), text)
    return _O_BEFORE_O.sub(lambda m: ("u" if m.group(1) == "o" else "U") + m.group(2), text)


def fix_contractions(text: str) -> str:
    return re.sub(r"\b([aA]) el\b", r"\1l", re.sub(r"\b([dD])e el\b", r"\1el", text))


def agree(stem: str, ing) -> str:
    return stem + ENDINGS[ing.key]


def with_article(ing, participle: bool = False, juice: bool = False) -> str:
    text = f"{'el' if ing.name in STRESSED_A else DEFINITE[ing.key]} {ing.name}"
    if juice and ing.prep == ("exprime",):  # after squeezing, what goes in is the juice
        text = fix_contractions(f"el zumo de {text}")
    if participle and ing.prep and ing.role in ("aroma", "hierba", "queso", "fruto_seco"):
        text += " " + agree(PARTICIPLE_OF[ing.prep[-1]], ing)
    return text


def join(items: list) -> str:
    """'a', 'a y b', 'a, b y c' (the conjunction is fixed later by fix_conjunctions)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " y " + items[-1]


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def strip_accents(text: str) -> str:
    return text.translate(str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")).replace("¿", "").replace("¡", "")


def format_number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")
INDEFINITE = {("m", "sg"): "un", ("f", "sg"): "una", ("m", "pl"): "unos", ("f", "pl"): "unas"}


# ---------------------------------------------------------------------------
# Reading the request: words the model does not know, diets the request itself breaks
# ---------------------------------------------------------------------------


def fold(text):
    """Lower case without accents, ñ or ü: how people type varies, the comparison must not."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
