"""Reading what a cook typed: the words the catalogue knows (ingredients, their aliases, dishes,
diets), what is left out ("sin cebolla"), the dishes and states the generator cannot cook yet
("gazpacho", "huevo duro"), the unknown words, and the notes said before a recipe.

The chat prints request_notes(). Words are compared with chef.spanish.fold, singular or plural alike.
"""

import difflib
import functools
import re

from chef.catalogue import ALIASES, DATA_DIR, DIET_WORDS, DISH_NAMES, INGREDIENTS, read_table, violates
from chef.dataset import DISH_REQUEST_TEMPLATES, INSTRUCTION_TEMPLATES, QUICK_PHRASES
from chef.dishes import DISH_LABEL, DISHES
from chef.recipes import UNIT_FORMS
from chef.spanish import DEFINITE, ENDINGS, agree, fix_conjunctions, fold, join

# Notes printed before a recipe (the model answers anyway: these inform, they do not refuse).
UNKNOWN_NOTE = "No conozco como ingrediente: {words}."
SUGGESTION = "{word} (¿{name}?)"  # a typo close to a known name
SUGGESTION_CUTOFF = 0.8  # difflib similarity: "merlusa" -> merluza, "kale" -> nothing
UNKNOWN_REST = " Uso lo demás."
SPANISH_HINT = (" Escribe los ingredientes en español, por ejemplo: pollo, arroz, pimiento"
                " (/ingredientes muestra los que conozco).")
MAX_SHOWN_UNKNOWN = 8  # a pasted paragraph is not listed word by word
DIET_NOTE = "Ojo: {clashes}."  # "Ojo: el chorizo no es vegetariano."
UNCOOKED_NOTE = "Aún no sé cocinar {words}: te propongo una receta con lo demás."  # data/spanish_dishes.csv
STATE_NOTE = "No tengo en cuenta: {words}."  # "huevos duros": the generator cooks them from raw
LISTED = {"ing": "excluded", "dish": "dishes", "diet": "diets",  # the lists of a reading, by kind of phrase
          "uncooked": "uncooked", "state": "states", "unknown": "unknown"}
REQUEST_WORDS_FILE = DATA_DIR / "request_words.txt"  # known words ("hola", "tengo"), states, "sin"...


def stem(word):
    """One key for the singular and the plural of a folded word: huevo(s), limon(es), nuez/nueces;
    doubled letters count once ("cebola", "holaa"), on both sides of every comparison."""
    word = re.sub(r"(.)\1+", r"\1", word)
    if len(word) > 3 and word.endswith("s"):
        word = word[:-1]
    if len(word) > 3 and word.endswith("e") and word[-2] in "lnrdzjc":
        word = word[:-1]
    return word[:-1] + "c" if word.endswith("z") else word


def tokenize(text):
    """(stem, span) of each word or number of the text; spans index text.lower()."""
    return [(stem(fold(m.group())), m.span()) for m in re.finditer(r"[^\W\d_]+|\d+", text.lower())]


def phrase_key(phrase):
    """The key of a phrase: the stems of its words."""
    return tuple(key for key, _ in tokenize(phrase))


DISH_TYPE_KEYS = {phrase_key(label) for label in DISH_LABEL.values()}  # "pasta", "al horno"


@functools.cache
def word_lists():
    """The lists of data/request_words.txt: name ("state", "without"...) -> phrase keys. "" holds the
    known words: those of the file and of the generator's own phrasing (templates, dish types, units)."""
    texts = [*INSTRUCTION_TEMPLATES, *DISH_REQUEST_TEMPLATES, *QUICK_PHRASES, *DISH_LABEL.values(),
             *(form for pair in UNIT_FORMS.values() for form in pair)]  # {ings} and such add a few harmless words
    lists = {"": {(word,) for text in texts for word, _ in tokenize(text)}}
    for line in REQUEST_WORDS_FILE.read_text(encoding="utf-8").splitlines():
        name, _, text = line.rpartition(":")
        if not line.startswith("#"):
            lists.setdefault(name, set()).update(map(phrase_key, text.split("," if name else None)))
    return lists


@functools.cache
def vocabulary():
    """(phrases, longest): phrase key -> (kind, value), kind "ing" (catalogue names), "dish", "diet",
    "uncooked" (a dish not cooked yet), "state", "cooked" (a state of leftovers), "without" ("sin")
    or "word" (known, but not an ingredient); longest is the most words in a phrase.

    Earlier kinds win on a shared key: "arroz" is an ingredient before it is a dish type.
    Names that share a key share their families (families only serve to check diets, and a
    family breaks a diet only when all of it does). The words inside longer names ("rojo",
    "ibérico") are known words too.
    """
    phrases = {}

    def add(phrase, kind, value):
        key = phrase_key(phrase)
        old_kind, old_value = phrases.setdefault(key, (kind, value))
        if kind == old_kind == "ing":  # "pechuga" and "pechugas" share a key: join their families
            phrases[key] = (kind, tuple(dict.fromkeys(old_value + value)))

    for name, ing in INGREDIENTS.items():  # "garbanzos cocidos": as the generator writes them
        for phrase in {name, f"{name} {agree(ing.note, ing)}" if ing.note else name}:
            add(phrase, "ing", (name,))
    for alias, names in ALIASES.items():
        add(alias, "ing", tuple(names))
    for dish in DISH_NAMES:
        add(dish, "dish", dish)
    for phrase, diet in DIET_WORDS.items():
        add(phrase, "diet", diet)
    for row in read_table("spanish_dishes.csv"):  # not cooked yet, unless the generator cooks it now
        names = {row["name"], *row["aliases"].split("; ")} - {""}
        for dish in () if names & DISH_NAMES.keys() else names:
            add(dish, "uncooked", dish)
    for kind in ("state", "cooked", "without"):
        phrases.update({key: (kind, None) for key in word_lists()[kind] if key not in phrases})
    for dish in DISHES.values():  # "un plato de pasta", "receta de pasta": the kind of dish
        for phrase in (dish.indef, dish.indef.split(" ", 1)[1], f"receta de {dish.bare}"):
            add(phrase, "word", None)
    inside = {(word,) for key, (kind, _) in phrases.items() if kind != "uncooked" for word in key}
    for key in word_lists()[""] | inside:
        phrases.setdefault(key, ("word", None))
    return phrases, max(len(key) for key in phrases)


@functools.cache
def one_word_names():
    """Folded one-word ingredient names and aliases -> the name to suggest, with its accents if any."""
    names = sorted((*INGREDIENTS, *ALIASES), key=lambda name: not name.isascii())  # accented last: they win
    return {fold(name): name for name in names if len(phrase_key(name)) == 1}


def suggest(word):
    """The known name a mistyped word is closest to ("merlusa" -> "merluza"), or None."""
    names = one_word_names()
    close = difflib.get_close_matches(fold(word), names, n=1, cutoff=SUGGESTION_CUTOFF)
    return names[close[0]] if close else None


def scan(tokens, start, end, inside=("ing",)):
    """(kind, value, first, last) of the phrases in tokens[start:end], longest first; value None
    for an unknown word. The phrases of the kinds `inside` named inside a dish's name follow the
    dish ("lentejas con chorizo": chorizo); inside=() reads within a dish's name."""
    phrases, longest = vocabulary()
    found, i = [], start
    while i < end:
        for size in range(min(longest, end - i), 0, -1):
            kind, value = phrases.get(tuple(key for key, _ in tokens[i:i + size]), (None, None))
            if kind and (inside or kind not in ("dish", "uncooked")):
                found.append((kind, value, i, i + size - 1))
                if kind in ("dish", "uncooked"):
                    found += [hit for hit in scan(tokens, i, i + size, ()) if hit[0] in inside]
                i += size
                break
        else:
            found.append(("unknown", None, i, i))
            i += 1
    return found


def is_exempt(lower, tokens, first, last, diet_starts):
    """Whether the ingredient named by tokens[first:last + 1] escapes the diet checks: adapted
    ("pan sin gluten"), or a kind of dish the generator adapts to any diet ("pasta para celíacos")."""
    adapted = (last + 1 in diet_starts and tokens[last + 1][0] == "sin"
               and lower[tokens[last][1][1]:tokens[last + 1][1][0]].isspace())
    return adapted or tuple(key for key, _ in tokens[first:last + 1]) in DISH_TYPE_KEYS


def read_request(text):
    """What a request asks for, read with the catalogue's words, longest phrases first.

    Returns a dict: "ingredients" as (text as typed, catalogue names, exempt from diet checks:
    see is_exempt), and the lists of LISTED: "excluded" ("sin cebolla"), "uncooked", "states" and
    "unknown" as typed (numbers and single letters ignored), "dishes" and "diets". No repeats.
    """
    lower, tokens, lists = text.lower(), tokenize(text), word_lists()
    leftovers = any((key,) in lists["leftover"] for key, _ in tokens)  # "me sobró pollo asado": a state
    found = scan(tokens, 0, len(tokens), ("ing", "cooked") if leftovers else ("ing",))
    diet_starts = {first for kind, _, first, _ in found if kind == "diet"}
    after_ing = {last + 1 for kind, _, _, last in found if kind == "ing"}
    reading = {key: [] for key in ("ingredients", *LISTED.values())}
    excluding = False  # after "sin", "no me gusta"... and any articles: "alérgica a los frutos secos"
    for kind, value, first, last in found:
        shown = lower[tokens[first][1][0]:tokens[last][1][1]]
        if kind == "cooked" or kind == "dish" and first in after_ing and (tokens[first][0],) in lists["state"]:
            kind = "state" if leftovers or kind == "dish" else "word"  # "arroz cocido": not the dish "cocido"
        if kind == "ing" and not excluding:
            reading["ingredients"].append((shown, value, is_exempt(lower, tokens, first, last, diet_starts)))
        elif kind in LISTED and (kind != "unknown" or not shown.isdigit() and len(shown) > 1):
            reading[LISTED[kind]].append(value if kind in ("dish", "diet") else shown)
        excluding = kind == "without" or excluding and (tokens[first][0],) in lists["article"]
    return {key: list(dict.fromkeys(items)) for key, items in reading.items()}


def gender_number(shown, names):
    """Gender and number of a name as typed, for its article: the catalogue's when it is
    a catalogue name or starts like one ("pimientos" -> pimiento rojo), else the ending."""
    candidates = (*names, *INGREDIENTS)
    same = [INGREDIENTS[name] for name in candidates if fold(name) == fold(shown)]
    if same:
        return same[0].gender, same[0].number
    alike = [INGREDIENTS[name] for name in candidates if phrase_key(name)[:1] == phrase_key(shown)[:1]]
    gender = alike[0].gender if alike else "f" if fold(shown).rstrip("s").endswith("a") else "m"
    return gender, "pl" if fold(shown).endswith("s") else "sg"


def diet_clash(diet, items):
    """'el chorizo no es vegetariano' for the (shown, gender, number) items a diet rules out."""
    names = fix_conjunctions(join([f"{DEFINITE[(g, n)]} {shown}" for shown, g, n in items]))
    plural = len(items) > 1 or items[0][2] == "pl"
    gender = "m" if any(g == "m" for _, g, _ in items) else "f"
    if diet in ("vegetariano", "vegano"):
        adjective = diet[:-1] + ENDINGS[(gender, "pl" if plural else "sg")]
        return f"{names} no {'son' if plural else 'es'} {adjective}"
    return f"{names} {'llevan' if plural else 'lleva'} {diet.split()[-1]}"  # sin gluten / sin lactosa


def unknown_note(reading):
    """'No conozco como ingrediente: kale. Uso lo demás.', with a guess for each typo; None if all is known."""
    unknown = reading["unknown"]
    if not unknown:
        return None
    suggestions = [suggest(word) for word in unknown[:MAX_SHOWN_UNKNOWN]]
    shown = [SUGGESTION.format(word=word, name=name) if name else word for word, name in zip(unknown, suggestions)]
    note = UNKNOWN_NOTE.format(words=", ".join(shown) + (", …" if len(unknown) > MAX_SHOWN_UNKNOWN else ""))
    if reading["ingredients"] or reading["dishes"] or reading["uncooked"]:
        return note + UNKNOWN_REST
    if not any(suggestions):  # nothing understood and no typo to fix: another language?
        return note + SPANISH_HINT
    return note


def diet_note(reading):
    """'Ojo: el chorizo no es vegetariano.' for the diets the request itself breaks; None if none."""
    clashes = []
    for diet in reading["diets"]:
        items = [(shown, *gender_number(shown, names)) for shown, names, exempt in reading["ingredients"]
                 if not exempt and all(violates(diet, name) for name in names)]
        if items:
            clashes.append(diet_clash(diet, items))
    return DIET_NOTE.format(clashes="; ".join(clashes)) if clashes else None


def has_words(text):
    """False for a request with no letters at all (emoji, punctuation, numbers): nothing to cook from."""
    return any(c.isalpha() for c in text)


def request_notes(text):
    """The lines said before the recipe ([] for a request of known words): dishes not cooked yet,
    unknown words, states not cooked from, broken diets."""
    reading = read_request(text)
    uncooked, states = (template.format(words=join(reading[key])) if reading[key] else None
                        for template, key in ((UNCOOKED_NOTE, "uncooked"), (STATE_NOTE, "states")))
    return [note for note in (uncooked, unknown_note(reading), states, diet_note(reading)) if note]
