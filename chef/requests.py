"""chef.requests"""

import difflib
import functools
import re
import textwrap

from chef.catalogue import ALIASES, COMMON_ALIASES, DIETS, DISH_NAMES, INGREDIENTS, violates
from chef.dataset import DIET_PHRASES, DISH_REQUEST_TEMPLATES, INSTRUCTION_TEMPLATES, QUICK_PHRASES
from chef.dishes import DISH_LABEL, DISHES
from chef.recipes import UNIT_FORMS
from chef.spanish import DEFINITE, ENDINGS, fix_conjunctions, fold, join

# Notes printed before a recipe (the model answers anyway: these inform, they do not refuse).
UNKNOWN_NOTE = "No conozco como ingrediente: {words}."
SUGGESTION = "{word} (¿{name}?)"  # a typo close to a known name
SUGGESTION_CUTOFF = 0.8  # difflib similarity: "merlusa" -> merluza, "kale" -> nothing
UNKNOWN_REST = " Uso lo demás."
SPANISH_HINT = (" Escribe los ingredientes en español, por ejemplo: pollo, arroz, pimiento"
                " (/ingredientes muestra los que conozco).")
MAX_SHOWN_UNKNOWN = 8  # a pasted paragraph is not listed word by word
DISH_EXAMPLES = ("tortilla de patatas", "paella", "lentejas con chorizo")  # from generate_dataset.DISH_NAMES

# Words a request may hold that are not ingredients, on top of those the generator itself
# writes around the ingredients (templates, diet and quick phrases, dish names). Compared
# without accents or case, singular or plural alike.
REQUEST_WORDS = """
hola buenas buenos dias tardes noches gracias porfa favor saludos chef oye mira
quiero querria quisiera puedes podrias puedo podemos dame dime hazme haz prepara preparame
cocina cocinar cocino cocinamos hacer hago hacemos preparo preparar preparamos sugiere
sugiereme sugieres recomienda recomiendas recomiendame ayuda ayudame apetece tengo tenemos
tienes tiene hay queda quedan quedado sobra sobras sobrado usar uso utilizar aprovechar
aprovecho busco necesito ideas idea algo alguna alguno algun receta plato comida cena
cenar comer almuerzo almorzar desayuno desayunar merienda merendar aperitivo entrante
primero segundo tapa sea quede hecho hecha listo lista
y e o u ni con de del el la lo los las un una unos unas al a en para por sin que como
cual cuanto mi mis me te se le les nos su sus este esta estos estas ese esa eso esto es
son mas muy poco poca mucho mucha solo solamente tambien pero si no ya hoy manana ahora
luego casa nevera despensa frigo frigorifico congelador bien otra otro otras otros todo
toda ingrediente usando utilizando junto
medio media cuarto uno dos tres cuatro cinco seis siete ocho nueve diez once doce docena
kilo kg g gr grs gramo l litro ml cl mililitro taza vaso lata bote paquete pizca trozo
unidad rodaja pieza cucharada cucharadita diente rama hoja chorrito chorro punado bolsa
persona comensal racion gente familia nino adulto amigo invitado pareja
rapido rapida facil sencillo sencilla simple sano sana saludable ligero ligera rico rica
casero casera tradicional original diferente nuevo nueva caliente frio fria fresco fresca
picante dulce salado salada barato barata economico bueno buena mejor especial sabroso
sabrosa calorias proteina proteico proteica
minuto hora menos tiempo horno plancha vapor microondas sarten olla cazuela
asado asada frito frita cocido cocida hervido hervida guisado estofado rebozado relleno
roto gratinado horneado empanado marinado picado rallado troceado congelado
soy somos estoy estamos alergico alergica alergia intolerante sienta sientan sobraron sobro
hey ey holi vale ganas gustaria encantaria aprender ensename explicame
"""
DIET_WORDS = {"vegetariana": "vegetariano", "vegana": "vegano", "celiaco": "sin gluten", "celiaca": "sin gluten",
              "sin carne": "vegetariano", "sin lacteos": "sin lactosa"}  # beside DIETS and DIET_PHRASES
EXCLUDING = ("sin", "ni")  # "sin cebolla": an ingredient left out, not one asked for


def stem(word):
    """One key for the singular and the plural of a folded word: huevo(s), limon(es), nuez/nueces.

    Doubled letters count once ("cebola", "holaa"), on both sides of every comparison.
    """
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
    return tuple(key for key, _ in tokenize(phrase))


@functools.lru_cache(maxsize=None)
def vocabulary():
    """(phrases, longest): phrase key -> (kind, value), kind "ing" (catalogue names), "dish",
    "diet" or "word" (known, but not an ingredient); longest is the most words in a phrase.

    Earlier kinds win on a shared key: "arroz" is an ingredient before it is a dish type.
    Names that share a key share their families (families only serve to check diets, and a
    family breaks a diet only when all of it does). Known words: those of the generator's
    own phrasing, REQUEST_WORDS, and the words inside longer names ("rojo", "ibérico").
    """
    phrases = {}

    def add(phrase, kind, value):
        key = phrase_key(phrase)
        old_kind, old_value = phrases.setdefault(key, (kind, value))
        if kind == old_kind == "ing":  # "pechuga" and "pechugas" share a key: join their families
            phrases[key] = (kind, tuple(dict.fromkeys(old_value + value)))

    for name in INGREDIENTS:
        add(name, "ing", (name,))
    for alias, names in ALIASES.items():
        add(alias, "ing", tuple(names))
    for dish in DISH_NAMES:
        add(dish, "dish", dish)
    for diet in DIETS:
        add(diet, "diet", diet)
        for phrase in DIET_PHRASES[diet]:
            add(phrase, "diet", diet)
    for phrase, diet in DIET_WORDS.items():
        add(phrase, "diet", diet)
    for dish in DISHES.values():  # "un plato de pasta", "receta de pasta": the kind of dish
        for phrase in (dish.indef, dish.indef.split(" ", 1)[1], f"receta de {dish.bare}"):
            add(phrase, "word", None)
    texts = [*INSTRUCTION_TEMPLATES, *DISH_REQUEST_TEMPLATES, *QUICK_PHRASES, REQUEST_WORDS,
             *DISH_LABEL.values(), *(f for pair in UNIT_FORMS.values() for f in pair)]
    # (placeholders such as {ings} add a few harmless words)
    for word in {w for text in texts for w, _ in tokenize(text)} | {w for k in list(phrases) for w in k}:
        phrases.setdefault((word,), ("word", None))
    return phrases, max(len(key) for key in phrases)


@functools.lru_cache(maxsize=None)
def one_word_names():
    """Folded one-word ingredient names and aliases -> the name to suggest (with its accents)."""
    names = {}
    for name in (*INGREDIENTS, *ALIASES):
        if len(phrase_key(name)) == 1 and (fold(name) not in names or not name.isascii()):
            names[fold(name)] = name
    return names


def suggest(word):
    """The known name a mistyped word is closest to ("merlusa" -> "merluza"), or None."""
    names = one_word_names()
    close = difflib.get_close_matches(fold(word), names, n=1, cutoff=SUGGESTION_CUTOFF)
    return names[close[0]] if close else None


def scan(tokens, start, end, dishes=True):
    """(kind, value, first, last) of the phrases in tokens[start:end], longest first; value
    None for an unknown word. The ingredients named inside a dish's name follow the dish."""
    phrases, longest = vocabulary()
    found, i = [], start
    while i < end:
        for size in range(min(longest, end - i), 0, -1):
            kind, value = phrases.get(tuple(key for key, _ in tokens[i:i + size]), (None, None))
            if kind and (dishes or kind != "dish"):
                found.append((kind, value, i, i + size - 1))
                if kind == "dish":  # "lentejas con chorizo": chorizo is asked for too
                    found += [hit for hit in scan(tokens, i, i + size, dishes=False) if hit[0] == "ing"]
                i += size
                break
        else:
            found.append(("unknown", None, i, i))
            i += 1
    return found


def read_request(text):
    """What a request asks for, read with the catalogue's words, longest phrases first.

    Returns a dict: "ingredients" as (text as typed, catalogue names, exempt), exempt from
    diet checks when left out ("sin cebolla", "ni leche"), adapted ("pan sin gluten") or a
    kind of dish the generator adapts to any diet ("pasta para celíacos"); "dishes";
    "diets" (no repeats); "unknown" (words as typed, no repeats, numbers and letters ignored).
    """
    lower = text.lower()
    tokens = tokenize(text)
    found = scan(tokens, 0, len(tokens))
    diet_starts = {first for kind, _, first, _ in found if kind == "diet"}
    dish_types = {phrase_key(label) for label in DISH_LABEL.values()}
    reading = {"ingredients": [], "dishes": [], "diets": [], "unknown": []}
    for kind, value, first, last in found:
        shown = lower[tokens[first][1][0]:tokens[last][1][1]]
        if kind == "ing":
            left_out = first > 0 and tokens[first - 1][0] in EXCLUDING
            adapted = last + 1 in diet_starts and tokens[last + 1][0] == "sin" and \
                lower[tokens[last][1][1]:tokens[last + 1][1][0]].isspace()
            dish_type = phrase_key(shown) in dish_types  # "pasta para celíacos": the generator adapts the dish
            reading["ingredients"].append((shown, value, left_out or adapted or dish_type))
        elif kind == "dish":
            reading["dishes"].append(value)
        elif kind == "diet" and value not in reading["diets"]:
            reading["diets"].append(value)
        elif kind == "unknown" and not shown.isdigit() and len(shown) > 1 and shown not in reading["unknown"]:
            reading["unknown"].append(shown)
    return reading


def gender_number(shown, names):
    """Gender and number of a name as typed, for its article: the catalogue's when it is
    a catalogue name or starts like one ("pimientos" -> pimiento rojo), else the ending."""
    candidates = (*names, *INGREDIENTS)
    for name in candidates:
        if fold(name) == fold(shown):
            return INGREDIENTS[name].gender, INGREDIENTS[name].number
    number = "pl" if fold(shown).endswith("s") else "sg"
    head = phrase_key(shown)[:1]
    for name in candidates:
        if phrase_key(name)[:1] == head:
            return INGREDIENTS[name].gender, number
    return ("f" if fold(shown).rstrip("s").endswith("a") else "m"), number


def diet_clash(diet, items):
    """'el chorizo no es vegetariano' for the (shown, gender, number) items a diet rules out."""
    names = fix_conjunctions(join([f"{DEFINITE[(g, n)]} {shown}" for shown, g, n in items]))
    plural = len(items) > 1 or items[0][2] == "pl"
    gender = "m" if any(g == "m" for _, g, _ in items) else "f"
    if diet in ("vegetariano", "vegano"):
        adjective = diet[:-1] + ENDINGS[(gender, "pl" if plural else "sg")]
        return f"{names} no {'son' if plural else 'es'} {adjective}"
    return f"{names} {'llevan' if plural else 'lleva'} {diet.split()[-1]}"  # sin gluten / sin lactosa


def request_notes(text):
    """The Spanish lines said before the recipe: unknown words, diets broken by the request itself.

    At most two lines; [] for a request made of known words.
    """
    reading = read_request(text)
    notes = []
    unknown = reading["unknown"]
    if unknown:
        suggestions = [suggest(word) for word in unknown[:MAX_SHOWN_UNKNOWN]]
        shown = [SUGGESTION.format(word=word, name=name) if name else word for word, name in zip(unknown, suggestions)]
        note = UNKNOWN_NOTE.format(words=", ".join(shown) + (", …" if len(unknown) > MAX_SHOWN_UNKNOWN else ""))
        if reading["ingredients"] or reading["dishes"]:
            note += UNKNOWN_REST
        elif not any(suggestions):  # nothing understood and no typo to fix: another language?
            note += SPANISH_HINT
        notes.append(note)
    clashes = []
    for diet in reading["diets"]:
        items = [(shown, *gender_number(shown, names)) for shown, names, exempt in reading["ingredients"]
                 if not exempt and all(violates(diet, name) for name in names)]
        if items:
            clashes.append(diet_clash(diet, items))
    if clashes:
        notes.append("Ojo: " + "; ".join(clashes) + ".")
    return notes


def ingredients_text(width=100):
    """What /ingredientes shows: the catalogue by category, then the common names and dishes."""

    def paragraph(text, first="", rest=""):
        # A name is never split over two lines: its spaces are non-breaking while wrapping.
        return textwrap.fill(text, width, initial_indent=first, subsequent_indent=rest,
                             break_on_hyphens=False).replace("\xa0", " ")

    def names(items):
        return [item.replace(" ", "\xa0") for item in items]

    by_category = {}
    for ing in INGREDIENTS.values():
        by_category.setdefault(ing.category, []).append(ing.name)
    lines = [f"Conozco {len(INGREDIENTS)} ingredientes:"]
    for category, members in by_category.items():
        lines.append(paragraph(", ".join(names(members)), f"  {category}: ", "    "))
    lines.append(paragraph("También entiendo nombres comunes, en singular o plural y con o sin tildes: "
                           + join(names(sorted(COMMON_ALIASES))) + "."))
    *others, last = [f"«{dish}»" for dish in names(DISH_EXAMPLES)]
    lines.append(paragraph(f"Y platos como {', '.join(others)} o {last}."))
    return "\n".join(lines)
