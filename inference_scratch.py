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

Before each recipe, stderr names what the model will not use: a dish it cannot cook yet ("Aún no
sé cocinar gazpacho..."), words that are not known ingredients ("No conozco como ingrediente: kale.
Uso lo demás."), states ("No tengo en cuenta: duro."), and the requested ingredients that break a
requested diet ("Ojo: el chorizo no es vegetariano."); the recipe is written anyway. Ingredients
left out ("sin cebolla", "no me gusta el pimiento", "alérgica a las nueces") are not asked for.

The pieces: chef.requests reads the request, chef.prompt renders it with the chat template,
chef.chat.Chef writes the recipe with chef.decoding's loop over the model's KV cache.
"""

import sys
from pathlib import Path

from chef.chat import BANNER, EMPTY_HINT, GOODBYE, HELP, NO_WORDS_HINT, PROMPT, STOPPED, UNKNOWN_COMMAND, Chef, ingredients_text
from chef.cli import ChefError, import_heavy, make_parser, notice, run_main
from chef.hardware import pick_device
from chef.model_folder import check_model_dir, generation_defaults, load_model
from chef.prompt import MODEL_DIR, MODEL_NAME, clean_request
from chef.requests import has_words, request_notes

# --- Defaults ----------------------------------------------------------------
DEVICES = ("auto", "cpu", "cuda", "mps")
HISTORY_FILE = Path.home() / ".chef_bot_history"  # readline history between sessions
HISTORY_LENGTH = 1000


# --- Settings ----------------------------------------------------------------
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


def say_notes(text):
    """Print the request's notes (stderr), before its recipe."""
    for note in request_notes(text):
        notice(note)


# --- Ways to talk to the chef ------------------------------------------------
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
            notice(UNKNOWN_COMMAND.format(command=command))
        return True
    if not has_words(text):  # "🍗🍚", "???", "123": the model would invent a recipe
        notice(NO_WORDS_HINT.format(request=text))
        return True
    try:
        say_notes(text)
        chef.answer(text)
    except KeyboardInterrupt:
        if not interactive:
            raise  # piped input: Ctrl-C stops the whole run
        notice(STOPPED)
    if not interactive:
        print(flush=True)  # a blank line between recipes
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
        if readline is not None:
            try:
                readline.write_history_file(HISTORY_FILE)
            except OSError:
                pass  # a read-only home must not break leaving the chat
    print(GOODBYE)


# --- Command line ------------------------------------------------------------
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
    parser.add_argument("--device", default="auto", metavar="DISPOSITIVO",
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
    # Run through chef.cli.run_main, which makes Ctrl-C raise KeyboardInterrupt however the
    # chat was started (a shell starts background jobs with SIGINT ignored).
    args = parse_args(argv)
    request = None if args.prompt is None else clean_request(args.prompt)
    if request == "":
        raise ChefError(f"la petición de -p está vacía. {EMPTY_HINT}")
    if request is not None and not has_words(request):
        raise ChefError(NO_WORDS_HINT.format(request=request))
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
        for line in sys.stdin:  # one request per line, answered in turn
            if not handle_line(chef, line, interactive=False):
                break


if __name__ == "__main__":
    run_main(main)
