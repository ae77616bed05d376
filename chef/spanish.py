"""Spanish for the recipes: articles, agreement, 'y'/'e' and 'o'/'u', lists, numbers.

Also the one text normalizer, fold(), which every comparison of typed text uses (catalogue look-ups,
reading a request, scoring an answer), and typed_without_accents(), how the generator writes a request
a cook typed without accents. Used by chef.catalogue, chef.recipes, chef.dataset, chef.requests, chef.metrics.
"""

import re
import unicodedata

ENDINGS = {("m", "sg"): "o", ("f", "sg"): "a", ("m", "pl"): "os", ("f", "pl"): "as"}
DEFINITE = {("m", "sg"): "el", ("f", "sg"): "la", ("m", "pl"): "los", ("f", "pl"): "las"}
INDEFINITE = {("m", "sg"): "un", ("f", "sg"): "una", ("m", "pl"): "unos", ("f", "pl"): "unas"}
# Feminine nouns starting with a stressed a take "el"/"un" in the singular ("el agua").
STRESSED_A = ("agua",)
_Y_BEFORE_I = re.compile(r"\b([yY])(\s+)(?=[hH]?[iIíÍ](?![aeouáéóúAEOUÁÉÓÚ]))")
_O_BEFORE_O = re.compile(r"\b([oO])(\s+)(?=[hH]?[oOóÓ])")


def fold(text: str) -> str:
    """How typed text is compared: lower case, no accents or other marks (ñ -> n, ü -> u), single spaces."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def typed_without_accents(text: str) -> str:
    """A text as a cook types it without accents: á -> a (ñ and ü kept), no ¿ or ¡. Not a comparison: see fold."""
    return text.translate(str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")).replace("¿", "").replace("¡", "")


def fix_conjunctions(text: str) -> str:
    """'y' -> 'e' before an i-/hi- sound (not hie-), 'o' -> 'u' before an o-/ho- sound."""
    text = _Y_BEFORE_I.sub(lambda m: ("e" if m.group(1) == "y" else "E") + m.group(2), text)
    return _O_BEFORE_O.sub(lambda m: ("u" if m.group(1) == "o" else "U") + m.group(2), text)


def fix_contractions(text: str) -> str:
    """'de el' -> 'del', 'a el' -> 'al'."""
    return re.sub(r"\b([aA]) el\b", r"\1l", re.sub(r"\b([dD])e el\b", r"\1el", text))


def agree(stem: str, ing) -> str:
    """The stem with the ending of the ingredient's gender and number: agree('picad', cebolla) -> 'picada'."""
    return stem + ENDINGS[ing.key]


def join(items) -> str:
    """'a', 'a y b', 'a, b y c' (the conjunction is fixed later by fix_conjunctions)."""
    items = list(items)
    return ", ".join(items[:-1]) + " y " + items[-1] if len(items) > 1 else "".join(items)


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]


def format_number(value: float) -> str:
    """2 -> '2', 1.5 -> '1,5' (Spanish decimal comma)."""
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")
