"""The chat's library half: what the chat says, and Chef, a loaded model answering one request.

inference_scratch.py (the terminal chat) runs it; the benchmark and the tests take its example
request and its sentences from here. torch is imported only when a Chef is made, so the
script checks its flags first.
"""

import textwrap

from chef.catalogue import COMMON_ALIASES, INGREDIENTS
from chef.cli import notice
from chef.decoding import MIN_PROMPT_TOKENS, TextStream, cap_new_tokens, generate_tokens
from chef.prompt import MODEL_NAME, build_prompt
from chef.spanish import join

# What the chat says (stdout: recipes only; everything else goes to stderr)
EXAMPLE = "lentejas, chorizo, zanahoria"  # catalogue names
DISH_EXAMPLES = ("tortilla de patatas", "paella", "lentejas con chorizo")  # catalogue dish names
PROMPT = "Ingredientes> "
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
NO_WORDS_HINT = f"No veo ningún ingrediente en «{{request}}»: escríbelos con palabras, por ejemplo: {EXAMPLE}."
UNKNOWN_COMMAND = "No conozco el comando {command}. Escribe /ayuda para ver los que hay."
STOPPED = "[receta interrumpida]"  # Ctrl-C during a recipe
GOODBYE = "¡Buen provecho!"
TOO_LONG = ("aviso: tu petición es demasiado larga para el contexto del modelo; "
            "uso solo su principio ({budget} tokens).")
CAPPED = ("aviso: {asked} tokens nuevos no caben en el contexto del modelo ({context} tokens); "
          "la receta tendrá como mucho {limit}.")
CUT_BY_CONTEXT = "[receta cortada: se llenó el contexto del modelo ({context} tokens entre petición y receta)]"
CUT_AT_CAP = "[receta cortada: límite de {limit} tokens, el máximo que cabe en el contexto del modelo]"
CUT_AT_LIMIT = "[receta cortada: límite de {limit} tokens; súbelo con --max-new-tokens]"


class Chef:
    """A loaded model with its sampling settings; answer() streams one recipe to stdout."""

    def __init__(self, model, tokenizer, settings, seed=None):
        import torch

        self.model, self.tokenizer = model, tokenizer
        self.context = model.config.max_position_embeddings
        asked = settings["max_new_tokens"]
        # Room is always left for a short request (MIN_PROMPT_TOKENS), whatever was asked.
        limit = cap_new_tokens(asked, self.context, min(MIN_PROMPT_TOKENS, self.context // 2))
        if limit < asked:
            notice(CAPPED.format(asked=asked, context=self.context, limit=limit))
        self.settings, self.capped = dict(settings, max_new_tokens=limit), limit < asked
        self.prompt_budget = self.context - limit
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()  # torch's default seed is fixed: every run would write the same recipe
        else:
            self.generator.manual_seed(seed)

    def answer(self, text):
        """Stream the recipe for one (cleaned, non-empty) request to stdout; the caller handles Ctrl-C."""
        ids, was_cut = build_prompt(self.tokenizer, text, self.prompt_budget)
        if was_cut:
            notice(TOO_LONG.format(budget=self.prompt_budget))
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
        if prompt_tokens + new_tokens >= self.context:
            return CUT_BY_CONTEXT.format(context=self.context)
        return (CUT_AT_CAP if self.capped else CUT_AT_LIMIT).format(limit=self.settings["max_new_tokens"])


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
