"""Chat with Chef-Bot: type some ingredients, get a recipe written token by token.

    python inference_scratch.py                                  # chat with chef-bot-scratch-final/
    python inference_scratch.py -p "pechuga de pollo, arroz redondo"   # one recipe, then exit
    printf 'pollo, arroz\\nlentejas, chorizo\\n' | python inference_scratch.py   # one recipe per line
    python inference_scratch.py --temperature 0                  # greedy: the same recipe every time
    python inference_scratch.py --model runs/otro-modelo --device cpu --max-new-tokens 200 --seed 1

In the chat: /ingredientes lists the ingredients the model knows, /ayuda shows the help, /salir
or Ctrl-D leaves, Ctrl-C stops a recipe being written (and leaves when pressed at the prompt),
however the chat was started. Sampling defaults come from the model's generation_config.json;
the flags override them. The device is CUDA, then MPS, then CPU.

Before each recipe, one line on stderr names the words of the request that are not known
ingredients ("No conozco como ingrediente: kale. Uso lo demás."), and one names the requested
ingredients that break a requested diet ("Ojo: el chorizo no es vegetariano."); the recipe is
written anyway. request_notes() reads the request with generate_dataset's catalogue, aliases
and dish names, and the words of its request templates.

The model is loaded with chef_common.load_model; the prompt is rendered with the tokenizer's
chat template (chef_common.CHAT_TEMPLATE). Text generation is one hand-written loop over the
model's KV cache (HF `generate` costs several ms per token on CPU): decode() runs a batch of
prompts (the evaluation, the tests), generate_tokens() one prompt (the chat, bench/bench_inference.py).
"""

import difflib
import functools
import inspect
import re
import sys
import textwrap
import unicodedata
from pathlib import Path

# torch and transformers are imported inside the functions that use them, and loaded by main()
# through chef_common.import_heavy once the flags are checked: a bad flag is answered at once,
# and Ctrl-C while they load (seconds) is a clean exit.
import generate_dataset as gd  # the catalogue and the request phrasing (no heavy imports)
from chef_common import (
    MODEL_DIR,
    MODEL_NAME,
    SAMPLING_DEFAULTS,
    SPECIAL_TOKENS,
    ChefError,
    check_model_dir,
    generation_defaults,
    import_heavy,
    load_model,
    make_parser,
    pick_device,
    run_main,
)

# ---------------------------------------------------------------------------
# Defaults
# ---------------------------------------------------------------------------
DEVICE = "auto"  # CUDA, then MPS, then CPU
DEVICES = ("auto", "cpu", "cuda", "mps")
MIN_PROMPT_TOKENS = 16  # context always kept for the request, whatever --max-new-tokens says
HISTORY_FILE = Path.home() / ".chef_bot_history"  # readline history between sessions
HISTORY_LENGTH = 1000
PROMPT = "Ingredientes> "
EXAMPLE = "lentejas, chorizo, zanahoria"  # canonical names from generate_dataset.INGREDIENTS

BANNER = f"""{MODEL_NAME}: escribe unos ingredientes (por ejemplo «{EXAMPLE}») y te propongo una receta.
Escribe /ingredientes para ver los que conozco, /ayuda para ver la ayuda y /salir (o Ctrl-D) para salir.
Ctrl-C detiene una receta a medias."""

HELP = f"""Escribe los ingredientes que tienes, separados por comas, y pulsa Intro: {MODEL_NAME}
escribe una receta con ellos. También puedes pedirla con tus palabras («algo rápido con huevos»).
  /ingredientes   muestra los ingredientes que conozco
  /ayuda          muestra esta ayuda
  /salir          sale del programa (también Ctrl-D, o Ctrl-C en la línea vacía)
  Ctrl-C          mientras escribe una receta, la detiene y vuelve aquí
Flechas arriba/abajo: peticiones anteriores."""

EMPTY_HINT = f"Escribe algunos ingredientes, por ejemplo: {EXAMPLE} (o /ayuda)."

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

# ---------------------------------------------------------------------------
# Sampling and the generation loop (importable: evaluation, tests and the benchmark use them)
# ---------------------------------------------------------------------------


def sample_next(logits, temperature=0.0, top_k=0, top_p=1.0, repetition_penalty=1.0, seen=None, generator=None):
    """Pick the next token id from one row of float logits (modified in place).

    The order is HF's: repetition penalty on the `seen` ids, then temperature, top-k and
    top-p. temperature 0 is greedy; top_k 0 and top_p 1 switch those filters off.
    """
    if repetition_penalty != 1.0 and seen is not None:
        prev = logits[seen]
        logits[seen] = (prev / repetition_penalty).where(prev > 0, prev * repetition_penalty)
    if temperature <= 0:
        return int(logits.argmax())
    # Both filters work on the candidates sorted by score, so sort (or take the top k) once.
    if 0 < top_k < logits.numel():
        scores, index = logits.topk(top_k)
    else:
        scores, index = logits.sort(descending=True)
    probs = (scores / temperature).softmax(dim=-1)
    if top_p < 1.0:
        # Keep the smallest head whose mass reaches top_p (the best token always stays).
        probs = probs * (probs.cumsum(-1) - probs < top_p)
    choice = probs.multinomial(1, generator=generator)  # normalises by itself
    return int(index[choice])


def _cache_keyword(model):
    """transformers 5.24 calls the KV-cache argument `cache`; earlier 5.x `past_key_values`."""
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def decode(
    model,
    prompts,
    max_new_tokens=SAMPLING_DEFAULTS["max_new_tokens"],
    temperature=0.0,
    top_k=0,
    top_p=1.0,
    repetition_penalty=1.0,
    eos_token_id=None,
    generator=None,
    on_logits=None,
):
    """The one decode loop: yield, step by step, {prompt index: new token id} of the prompts
    still running, for a batch of prompts (lists of ids) decoded together over the KV cache.

    Prompts are padded on the left; a prompt leaves the batch after its eos_token_id (which
    is yielded, as HF generate keeps it). Every prompt stops after max_new_tokens, or when the
    longest one fills the model's context. eos_token_id=None never stops early (the benchmark
    uses it). Sampling runs on CPU in float32, row by row with one generator, so a seeded
    torch.Generator gives the same tokens on every device. on_logits(logits), when given, sees
    each step's last-position logits (one row per running prompt) before sampling (tests).
    """
    import torch
    from transformers import DynamicCache

    prompts = [[int(i) for i in p] for p in prompts]
    context, width = model.config.max_position_embeddings, max(map(len, prompts))
    if min(map(len, prompts)) == 0 or width >= context:
        raise ValueError(f"each prompt must have 1 to {context - 1} tokens, not {min(map(len, prompts))} to {width}")
    device = model.device
    ids = torch.full((len(prompts), width), model.config.pad_token_id or 0)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, p in enumerate(prompts):
        ids[row, width - len(p):], mask[row, width - len(p):] = torch.tensor(p), 1
    padded = not bool(mask.all())  # a lone prompt needs no mask: the model counts its positions
    position = (mask.cumsum(-1) - 1).clamp(min=0)  # GPT-2 positions start at each prompt's first token
    seen = None
    if repetition_penalty != 1.0:
        seen = torch.zeros((len(prompts), model.config.vocab_size), dtype=torch.bool)
        for row, p in enumerate(prompts):
            seen[row, p] = True
    cache = DynamicCache(config=model.config)
    kwargs = {_cache_keyword(model): cache, "use_cache": True, "logits_to_keep": 1}  # cache filled in place
    alive = list(range(len(prompts)))  # batch row -> prompt index
    step_ids = ids.to(device)
    with torch.inference_mode():
        for _ in range(min(max_new_tokens, context - width)):
            if padded:
                kwargs.update(attention_mask=mask.to(device), position_ids=position.to(device))
            logits = model(input_ids=step_ids, **kwargs).logits[:, -1]
            if on_logits is not None:
                on_logits(logits)
            if temperature <= 0 and seen is None:  # greedy: no copy of the logits to the CPU
                tokens = logits.argmax(-1).tolist()
            else:
                rows = logits.float().cpu()
                tokens = [sample_next(rows[j], temperature, top_k, top_p, repetition_penalty,
                                      None if seen is None else seen[j], generator) for j in range(len(alive))]
            yield dict(zip(alive, tokens))
            keep = [j for j, t in enumerate(tokens) if t != eos_token_id]
            if not keep:
                return
            if len(keep) < len(alive):  # finished prompts leave the batch and its cache
                index = torch.tensor(keep)
                cache.batch_select_indices(index.to(device))
                alive, tokens = [alive[j] for j in keep], [tokens[j] for j in keep]
                mask, position = mask[index], position[index]
                seen = None if seen is None else seen[index]
            if seen is not None:
                seen[torch.arange(len(tokens)), tokens] = True
            step_ids = torch.tensor(tokens, device=device)[:, None]
            if padded:
                mask = torch.cat([mask, mask.new_ones((len(alive), 1))], dim=1)
                position = position[:, -1:] + 1


def generate_tokens(model, prompt_ids, max_new_tokens=SAMPLING_DEFAULTS["max_new_tokens"], **settings):
    """Yield new token ids one by one for one prompt: decode() with a batch of one.

    settings: decode's sampling settings, eos_token_id and generator.
    """
    for step in decode(model, [prompt_ids], max_new_tokens, **settings):
        yield step[0]


class TextStream:
    """Turns token ids into printable text, releasing each piece as soon as it is complete.

    A byte-level token may hold half of an "ñ": text is released only when it no longer
    ends in a broken character. Special tokens (the end token) are not printed.
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.ids, self.prefix, self.read = [], 0, 0  # ids[prefix:read] is text already released

    def _decode(self, ids):
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def push(self, token):
        """The new printable text after one more token ("" while a character is incomplete)."""
        self.ids.append(token)
        done = self._decode(self.ids[self.prefix:self.read])
        text = self._decode(self.ids[self.prefix:])
        if len(text) <= len(done) or text.endswith("\ufffd"):
            return ""
        self.prefix, self.read = self.read, len(self.ids)
        return text[len(done):]

    def flush(self):
        """Whatever is left at the end, broken characters included."""
        return self._decode(self.ids[self.prefix:])[len(self._decode(self.ids[self.prefix:self.read])):]


def stream_text(tokenizer, token_ids):
    """Yield the printable text pieces of an iterator of token ids."""
    stream = TextStream(tokenizer)
    for token in token_ids:
        piece = stream.push(token)
        if piece:
            yield piece
    rest = stream.flush()
    if rest:
        yield rest


# ---------------------------------------------------------------------------
# Settings and prompts
# ---------------------------------------------------------------------------


def resolve_settings(args, model_dir):
    """Flags given on the command line override the model's defaults; checks every value."""
    settings = generation_defaults(model_dir)
    for key in settings:
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    checks = {
        "temperature": (settings["temperature"] >= 0, "debe ser 0 o mayor (0 = voraz)"),
        "top_k": (settings["top_k"] >= 0, "debe ser 0 o mayor (0 = sin límite)"),
        "top_p": (0 < settings["top_p"] <= 1, "debe estar entre 0 (excluido) y 1"),
        "repetition_penalty": (settings["repetition_penalty"] > 0, "debe ser mayor que 0 (1 = sin penalización)"),
        "max_new_tokens": (settings["max_new_tokens"] >= 1, "debe ser 1 o mayor"),
    }
    for key, (ok, why) in checks.items():
        if not ok:
            raise ChefError(f"--{key.replace('_', '-')} {settings[key]}: {why}")
    return settings


def fit_to_context(max_new_tokens, context):
    """max_new_tokens, reduced if needed so a request of MIN_PROMPT_TOKENS still fits."""
    room = context - min(MIN_PROMPT_TOKENS, context // 2)
    if max_new_tokens > room:
        notice(f"aviso: {max_new_tokens} tokens nuevos no caben en el contexto del modelo "
               f"({context} tokens); la receta tendrá como mucho {room}.")
        return room
    return max_new_tokens


def clean_request(text):
    """The user's text without surrounding blanks or special tokens (which would forge the format)."""
    for token in SPECIAL_TOKENS:
        text = text.replace(token, " ")
    return text.strip()


def render_prompt(tokenizer, text):
    """Token ids of the chat template for one user message, ready for the answer."""
    messages = [{"role": "user", "content": text}]
    return list(tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"])


def build_prompt(tokenizer, text, budget):
    """(prompt ids, was_cut): the request's text is cut at the end until the prompt fits budget."""
    ids = render_prompt(tokenizer, text)
    if len(ids) <= budget:
        return ids, False
    text_ids = tokenizer.encode(text, add_special_tokens=False)
    keep = max(0, len(text_ids) - (len(ids) - budget))
    while True:
        # Decoding a cut may end in half a character; drop it and re-render the template.
        cut = tokenizer.decode(text_ids[:keep], clean_up_tokenization_spaces=False).rstrip("\ufffd").rstrip()
        ids = render_prompt(tokenizer, cut)
        if len(ids) <= budget or keep == 0:
            return ids, True
        keep -= 1


def notice(message):
    """Hints and notices go to stderr, so piped output holds only recipes."""
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Reading the request: words the model does not know, diets the request itself breaks
# ---------------------------------------------------------------------------


def fold(text):
    """Lower case without accents, ñ or ü: how people type varies, the comparison must not."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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

    for name in gd.INGREDIENTS:
        add(name, "ing", (name,))
    for alias, names in gd.ALIASES.items():
        add(alias, "ing", tuple(names))
    for dish in gd.DISH_NAMES:
        add(dish, "dish", dish)
    for diet in gd.DIETS:
        add(diet, "diet", diet)
        for phrase in gd.DIET_PHRASES[diet]:
            add(phrase, "diet", diet)
    for phrase, diet in DIET_WORDS.items():
        add(phrase, "diet", diet)
    for dish in gd.DISHES.values():  # "un plato de pasta", "receta de pasta": the kind of dish
        for phrase in (dish.indef, dish.indef.split(" ", 1)[1], f"receta de {dish.bare}"):
            add(phrase, "word", None)
    texts = [*gd.INSTRUCTION_TEMPLATES, *gd.DISH_REQUEST_TEMPLATES, *gd.QUICK_PHRASES, REQUEST_WORDS,
             *gd.DISH_LABEL.values(), *(f for pair in gd.UNIT_FORMS.values() for f in pair)]
    # (placeholders such as {ings} add a few harmless words)
    for word in {w for text in texts for w, _ in tokenize(text)} | {w for k in list(phrases) for w in k}:
        phrases.setdefault((word,), ("word", None))
    return phrases, max(len(key) for key in phrases)


@functools.lru_cache(maxsize=None)
def one_word_names():
    """Folded one-word ingredient names and aliases -> the name to suggest (with its accents)."""
    names = {}
    for name in (*gd.INGREDIENTS, *gd.ALIASES):
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
    dish_types = {phrase_key(label) for label in gd.DISH_LABEL.values()}
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
    candidates = (*names, *gd.INGREDIENTS)
    for name in candidates:
        if fold(name) == fold(shown):
            return gd.INGREDIENTS[name].gender, gd.INGREDIENTS[name].number
    number = "pl" if fold(shown).endswith("s") else "sg"
    head = phrase_key(shown)[:1]
    for name in candidates:
        if phrase_key(name)[:1] == head:
            return gd.INGREDIENTS[name].gender, number
    return ("f" if fold(shown).rstrip("s").endswith("a") else "m"), number


def diet_clash(diet, items):
    """'el chorizo no es vegetariano' for the (shown, gender, number) items a diet rules out."""
    names = gd.fix_conjunctions(gd.join([f"{gd.DEFINITE[(g, n)]} {shown}" for shown, g, n in items]))
    plural = len(items) > 1 or items[0][2] == "pl"
    gender = "m" if any(g == "m" for _, g, _ in items) else "f"
    if diet in ("vegetariano", "vegano"):
        adjective = diet[:-1] + gd.ENDINGS[(gender, "pl" if plural else "sg")]
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
                 if not exempt and all(gd.violates(diet, name) for name in names)]
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
    for ing in gd.INGREDIENTS.values():
        by_category.setdefault(ing.category, []).append(ing.name)
    lines = [f"Conozco {len(gd.INGREDIENTS)} ingredientes:"]
    for category, members in by_category.items():
        lines.append(paragraph(", ".join(names(members)), f"  {category}: ", "    "))
    lines.append(paragraph("También entiendo nombres comunes, en singular o plural y con o sin tildes: "
                           + gd.join(names(sorted(gd.COMMON_ALIASES))) + "."))
    *others, last = [f"«{dish}»" for dish in names(DISH_EXAMPLES)]
    lines.append(paragraph(f"Y platos como {', '.join(others)} o {last}."))
    return "\n".join(lines)


def say_notes(text):
    """Print the request's notes (stderr), before its recipe."""
    for note in request_notes(text):
        notice(note)


# ---------------------------------------------------------------------------
# The chef: one loaded model answering requests
# ---------------------------------------------------------------------------


class Chef:
    """A loaded model with its settings; answer() streams one recipe to stdout."""

    def __init__(self, model, tokenizer, settings, seed=None):
        import torch

        self.model, self.tokenizer = model, tokenizer
        self.context = model.config.max_position_embeddings
        self.settings = dict(settings, max_new_tokens=fit_to_context(settings["max_new_tokens"], self.context))
        self.capped = self.settings["max_new_tokens"] < settings["max_new_tokens"]  # by the context
        self.prompt_budget = self.context - self.settings["max_new_tokens"]
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()  # torch's default seed is fixed: every run would write the same recipe
        else:
            self.generator.manual_seed(seed)

    def answer(self, text):
        """Stream the recipe for one (cleaned, non-empty) request to stdout; the caller handles Ctrl-C."""
        ids, was_cut = build_prompt(self.tokenizer, text, self.prompt_budget)
        if was_cut:
            notice(f"aviso: tu petición es demasiado larga para el contexto del modelo; "
                   f"uso solo su principio ({self.prompt_budget} tokens).")
        eos = self.model.config.eos_token_id
        stream, token, count = TextStream(self.tokenizer), None, 0
        try:
            for token in generate_tokens(self.model, ids, **self.settings, eos_token_id=eos, generator=self.generator):
                count += 1
                print(stream.push(token), end="", flush=True)
        finally:
            print(stream.flush(), flush=True)  # after Ctrl-C too: end the line before the notice
        if token != eos:  # say why the recipe stops mid-way (Ctrl-C is said by the caller)
            notice(self.stop_reason(len(ids), count))

    def stop_reason(self, prompt_tokens, new_tokens):
        """The line said when a recipe stops before its end token: context full, or token limit."""
        limit = self.settings["max_new_tokens"]
        if prompt_tokens + new_tokens >= self.context:
            return (f"[receta cortada: se llenó el contexto del modelo ({self.context} tokens entre "
                    f"petición y receta)]")
        if self.capped:
            return f"[receta cortada: límite de {limit} tokens, el máximo que cabe en el contexto del modelo]"
        return f"[receta cortada: límite de {limit} tokens; súbelo con --max-new-tokens]"


# ---------------------------------------------------------------------------
# Ways to talk to the chef
# ---------------------------------------------------------------------------


def handle_line(chef, line, interactive):
    """Answer one line (a request or a command); returns False when the user wants to leave."""
    text = clean_request(line)
    if not text:
        notice(EMPTY_HINT)
        return True
    if text.startswith("/"):
        command = text.split()[0].lower()
        if command in ("/salir", "/exit", "/quit"):
            return False
        if command in ("/ayuda", "/help"):
            notice(HELP)
        elif command in ("/ingredientes", "/ingredients"):
            notice(ingredients_text())
        else:
            notice(f"No conozco el comando {command}. Escribe /ayuda para ver los que hay.")
        return True
    if not interactive:
        say_notes(text)
        chef.answer(text)
        print(flush=True)  # a blank line between recipes
        return True
    try:
        say_notes(text)
        chef.answer(text)
    except KeyboardInterrupt:
        notice("[receta interrumpida]")
    return True


def enable_line_editing():
    """Readline gives arrow-key editing and history to input(); absent on some platforms."""
    try:
        import readline
    except ImportError:
        return None
    try:
        readline.read_history_file(HISTORY_FILE)
    except OSError:
        pass  # first run, or an unreadable file: start with an empty history
    readline.set_history_length(HISTORY_LENGTH)
    return readline


def save_history(readline):
    if readline is not None:
        try:
            readline.write_history_file(HISTORY_FILE)
        except OSError:
            pass  # a read-only home must not break leaving the chat


def chat(chef):
    """The interactive loop at a terminal."""
    readline = enable_line_editing()
    print(BANNER, flush=True)
    try:
        while True:
            try:
                line = input(PROMPT)
            except (EOFError, KeyboardInterrupt):  # Ctrl-D or Ctrl-C at the prompt: leave
                print()
                break
            if not handle_line(chef, line, interactive=True):
                break
            print()
    finally:
        save_history(readline)
    print("¡Buen provecho!")


def answer_lines(chef, lines):
    """Non-interactive: each line of input is one request, answered in turn."""
    for line in lines:
        if not handle_line(chef, line, interactive=False):
            break


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def parse_args(argv=None):
    parser = make_parser(
        f"Chatea con {MODEL_NAME}: escribe ingredientes y recibe una receta. "
        "Sin -p y con la entrada en un terminal, abre el chat; con la entrada redirigida, "
        "responde a cada línea. Los valores de muestreo por defecto son los del "
        "generation_config.json del modelo."
    )
    parser.add_argument("-p", "--prompt", metavar="TEXTO", help="escribe una sola receta para estos ingredientes y sale")
    parser.add_argument("--model", type=Path, default=MODEL_DIR, metavar="CARPETA",
                        help=f"carpeta del modelo (por defecto: {MODEL_DIR.name}/)")
    parser.add_argument("--device", default=DEVICE, metavar="DISPOSITIVO",
                        help="auto, cpu, cuda o mps (por defecto: auto = CUDA si hay, si no MPS, si no CPU)")
    parser.add_argument("--temperature", type=float, metavar="T",
                        help="creatividad: 0 = siempre la opción más probable (respuestas repetibles)")
    parser.add_argument("--top-k", type=int, metavar="K", help="elige solo entre los k tokens más probables (0 = sin límite)")
    parser.add_argument("--top-p", type=float, metavar="P",
                        help="elige solo entre los tokens más probables que suman esta probabilidad (1 = todos)")
    parser.add_argument("--repetition-penalty", type=float, metavar="R",
                        help="penaliza los tokens ya escritos (1 = sin penalización)")
    parser.add_argument("--max-new-tokens", type=int, metavar="N", help="longitud máxima de cada receta, en tokens")
    parser.add_argument("--seed", type=int, metavar="SEMILLA", help="semilla aleatoria, para repetir exactamente una respuesta")
    return parser.parse_args(argv)


def main(argv=None):
    # Run through chef_common.run_main, which makes Ctrl-C raise KeyboardInterrupt however the
    # chat was started (a shell starts background jobs with SIGINT ignored).
    args = parse_args(argv)
    request = None if args.prompt is None else clean_request(args.prompt)
    if request == "":
        raise ChefError(f"la petición de -p está vacía. {EMPTY_HINT}")
    if args.device not in DEVICES and not args.device.startswith("cuda:"):
        raise ChefError(f"--device {args.device}: usa {', '.join(DEVICES)}")
    check_model_dir(args.model)  # a missing or broken folder is said before torch loads (seconds)
    settings = resolve_settings(args, args.model)
    interactive = request is None and sys.stdin.isatty()
    if interactive:
        notice(f"Cargando {MODEL_NAME} desde {args.model}...")
    import_heavy()
    model, tokenizer = load_model(args.model, device=pick_device(args.device))
    chef = Chef(model, tokenizer, settings, seed=args.seed)
    if request is not None:
        say_notes(request)
        chef.answer(request)
    elif interactive:
        chat(chef)
    else:
        answer_lines(chef, sys.stdin)


if __name__ == "__main__":
    run_main(main)
