"""What the four Chef-Bot scripts must agree on, in one place.

generate_dataset.py, train_from_scratch.py, inference_scratch.py, convert_to_gguf.py
(and evaluate.py) import this module for:

* default paths (dataset, model folder, GGUF file);
* the prompt format: special tokens, the text one training example becomes, and the
  Jinja chat template written into the tokenizer and into the GGUF, rendered from the
  same constants so the three can never drift apart;
* the sampling defaults the chat ships (written into generation_config.json and GGUF);
* the diets a request can ask for (DIETS);
* one model loader (used by the chat, evaluation and the tests) that fails with one
  clear line when the folder is missing or broken;
* the device, hardware-name and FLOP helpers of the reports (training, evaluation, benchmarks);
* small helpers for clean command-line errors (check_flag) and atomic writes.

It imports neither torch nor transformers at module level, so the GGUF converter (which
must run without torch) can use it too.
"""

import argparse
import errno
import json
import os
import re
import signal
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

# ---------------------------------------------------------------------------
# Paths (relative to the repository, so the scripts work from any directory)
# ---------------------------------------------------------------------------
REPO_DIR = Path(__file__).resolve().parent
DATA_FILE = REPO_DIR / "recetas_extended.jsonl"
MODEL_DIR = REPO_DIR / "chef-bot-scratch-final"
GGUF_FILE = REPO_DIR / "chef-bot-scratch.gguf"
WORK_DIR = REPO_DIR / "runs" / "chef-bot-scratch"  # checkpoints of the training run

MODEL_NAME = "Chef-Bot Scratch"

# The diets a request can ask for: the dataset draws them (in this order), the evaluation checks
# recipes against each, the chat recognises them.
DIETS = ("vegetariano", "vegano", "sin gluten", "sin lactosa")

# ---------------------------------------------------------------------------
# Prompt format
# ---------------------------------------------------------------------------
# One training example is exactly:
#     <|usuario|> {instruction, lower-cased}<|chef|>{response}<|fin|>
# The special tokens are single tokens, so the text between them is tokenised on its
# own: the prompt's ids are always a prefix of the full example's ids.
# The space after <|usuario|> gives the request's first word the same token it has
# everywhere else ("Ġhuevos", not "h uev os"): without it the model dropped the first
# item of a bare list. Lower-casing makes "POLLO Y ARROZ" the request "pollo y arroz".
USER_TOKEN = "<|usuario|>"
ASSISTANT_TOKEN = "<|chef|>"
EOS_TOKEN = "<|fin|>"  # end of a recipe; also used as BOS, as GPT-2 does
PAD_TOKEN = "<|relleno|>"  # never <PAD> or [PAD]: llama.cpp treats those as FIM tokens
SPECIAL_TOKENS = [EOS_TOKEN, PAD_TOKEN, USER_TOKEN, ASSISTANT_TOKEN]  # ids 0..3 in this order

# The capitals the request is lower-cased on: ASCII and Spanish ones. Exactly these, in
# Python and in the chat template alike. Jinja's `lower` is not used because engines
# disagree: llama.cpp's lowers ASCII only ("CALABACÍN" -> "calabacÍn"), Jinja2 and LM
# Studio's lower every Unicode capital; a chain of `replace` gives the same text in all.
LOWER_CASE_MAP = {c: c.lower() for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZÁÉÍÓÚÜÑ"}
_LOWER_TABLE = str.maketrans(LOWER_CASE_MAP)


def normalize_request(text: str) -> str:
    """The request as the model reads it: ASCII and Spanish capitals lower-cased, nothing else."""
    return text.translate(_LOWER_TABLE)


def format_prompt(instruction: str) -> str:
    """The text the model sees before it writes a recipe."""
    return f"{USER_TOKEN} {normalize_request(instruction)}{ASSISTANT_TOKEN}"


def format_example(instruction: str, response: str) -> str:
    """The full training text of one instruction -> response example."""
    return f"{format_prompt(instruction)}{response}{EOS_TOKEN}"


# The chat template renders the same text as format_prompt / format_example.
# The model is single-turn: only the last user message is rendered (system messages and
# earlier turns are dropped); a final assistant message is rendered as the answer.
# It sticks to `for`, `if`, `==`, `and`, `or`, `+`, `loop.*` and the `replace` filter,
# which llama.cpp's Jinja, Python's Jinja2 and LM Studio's JavaScript Jinja all accept.
_LOWER_FILTERS = "".join(f" | replace('{upper}', '{lower}')" for upper, lower in LOWER_CASE_MAP.items())
CHAT_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' and (loop.last or (loop.revindex == 2 and "
    "messages[loop.index]['role'] == 'assistant')) -%}"
    "{{- '" + USER_TOKEN + " ' + (message['content']" + _LOWER_FILTERS + ") -}}"
    "{%- elif message['role'] == 'assistant' and loop.last -%}"
    "{{- '" + ASSISTANT_TOKEN + "' + message['content'] + '" + EOS_TOKEN + "' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '" + ASSISTANT_TOKEN + "' -}}{%- endif -%}"
)

# ---------------------------------------------------------------------------
# Generation defaults (the chat's; written into generation_config.json and the GGUF)
# ---------------------------------------------------------------------------
SAMPLING_DEFAULTS = {
    "temperature": 0.7,
    "top_k": 40,
    "top_p": 0.9,
    "repetition_penalty": 1.0,  # recipes legitimately repeat ingredient names
    "max_new_tokens": 448,
}



def generation_defaults(model_dir) -> dict:
    """The chat's sampling defaults: the model's generation_config.json, else SAMPLING_DEFAULTS."""
    model_dir = Path(model_dir)
    saved = {}
    if (model_dir / "generation_config.json").is_file():
        saved = read_model_json(model_dir, "generation_config.json")
    for key, value in SAMPLING_DEFAULTS.items():
        kind = int if isinstance(value, int) else (int, float)
        if saved.get(key) is not None and (isinstance(saved[key], bool) or not isinstance(saved[key], kind)):
            what = "un número entero" if kind is int else "un número"
            raise ChefError(f"generation_config.json de {model_dir}: {key} debe ser {what} "
                            f"(es {json.dumps(saved[key], ensure_ascii=False)})")
    settings = {key: saved.get(key) if saved.get(key) is not None else value
                for key, value in SAMPLING_DEFAULTS.items()}
    if saved.get("do_sample") is False:  # the model asks for greedy decoding
        settings["temperature"] = 0.0
    return settings


# ---------------------------------------------------------------------------
# Errors and atomic writes
# ---------------------------------------------------------------------------


class ChefError(Exception):
    """An error the user can fix; scripts print its message as one line and exit 1."""


def fail(message: str, code: int = 1) -> NoReturn:
    """Print a one-line error to stderr and exit (no traceback)."""
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


INTERRUPTED = "\ninterrumpido."  # what Ctrl-C prints (on stderr) before exit code 130


def run_main(main) -> None:
    """Run a script's main(), turning ChefError and Ctrl-C into clean exits.

    Scripts import torch and transformers inside main() (see import_heavy), after checking
    their arguments, so a bad flag is answered at once.
    """
    # A shell starts background jobs with SIGINT ignored and Python then leaves it so: Ctrl-C
    # must stop every script however it was started (the chat also stops a recipe with it).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        main()
    except ChefError as err:
        fail(str(err))
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


def _leave_interrupted(signum, frame) -> NoReturn:
    """SIGINT handler while libraries load: say so and leave at once (no cleanup to run yet)."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        pass
    print(INTERRUPTED, file=sys.stderr, flush=True)
    os._exit(130)


# What loading a model needs; transformers imports its model and tokenizer code lazily.
HEAVY_MODULES = ("torch", "transformers.models.gpt2.modeling_gpt2", "transformers.models.auto.tokenization_auto")


def import_heavy(*extra) -> None:
    """Import torch and transformers (seconds), and `extra` modules, with Ctrl-C leaving at once.

    Scripts call it once their arguments are checked. A KeyboardInterrupt raised while these
    load can be swallowed (torch's C code imports numpy and carries on without it after any
    error), and transformers then fails later, in English. Later imports find them loaded.
    Call it from the main thread.
    """
    import importlib

    previous = signal.signal(signal.SIGINT, _leave_interrupted)
    try:
        for name in (*HEAVY_MODULES, *extra):
            importlib.import_module(name)
    finally:
        signal.signal(signal.SIGINT, previous)


# argparse's own messages are English; these cover the errors a user can hit.
ARGPARSE_MESSAGES = [
    (r"^unrecognized arguments: (.*)$", r"opciones no reconocidas: \1"),
    (r"^argument (\S+): invalid int value: (.*)$", r"\1 necesita un número entero (recibido: \2)"),
    (r"^argument (\S+): invalid float value: (.*)$", r"\1 necesita un número (recibido: \2)"),
    (r"^argument (\S+): invalid choice: (.*) \(choose from (.*)\)$", r"\1: valor no válido: \2 (opciones: \3)"),
    (r"^argument (\S+): expected one argument$", r"\1 necesita un valor"),
    (r"^the following arguments are required: (.*)$", r"faltan las opciones: \1"),
]


class SpanishHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, prefix="uso: ")


class SpanishParser(argparse.ArgumentParser):
    """argparse in Spanish that reports a bad flag as one line (through ChefError)."""

    def error(self, message):
        for pattern, replacement in ARGPARSE_MESSAGES:
            message = re.sub(pattern, replacement, message)
        raise ChefError(f"{message} (usa --help para ver las opciones)")


def make_parser(description: str, epilog: str = None) -> SpanishParser:
    """The argument parser every script uses: Spanish help, one-line errors."""
    parser = SpanishParser(description=description, epilog=epilog, add_help=False,
                           formatter_class=SpanishHelpFormatter)
    parser._optionals.title = "opciones"
    parser.add_argument("-h", "--help", action="help", help="muestra esta ayuda y termina")
    return parser


def check_flag(ok: bool, flag: str, rule: str) -> None:
    """How every script checks a flag's value after parsing: one line, `--flag debe <rule>`."""
    if not ok:
        raise ChefError(f"{flag} debe {rule}")


OS_ERRORS = {errno.EACCES: "sin permiso de escritura", errno.EPERM: "sin permiso de escritura",
             errno.EROFS: "el sistema de ficheros es de solo lectura", errno.ENOSPC: "no queda espacio en el disco",
             errno.ENOTDIR: "una parte de la ruta es un fichero, no una carpeta",
             errno.EEXIST: "una parte de la ruta es un fichero, no una carpeta",  # mkdir over a file
             errno.EISDIR: "es una carpeta, no un fichero", errno.ENOENT: "la carpeta no existe y no se puede crear"}


def os_error_text(err: OSError, reading: bool = False) -> str:
    """An OSError's cause in Spanish (the usual ones), else its own words."""
    if reading and err.errno in (errno.EACCES, errno.EPERM):
        return "sin permiso de lectura"
    if reading and err.errno == errno.ENOENT:
        return "no existe"
    return OS_ERRORS.get(err.errno, err.strerror or type(err).__name__)


def _temp_file_beside(path: Path):
    """(fd, name) of a new temporary file in path's folder, made if missing; ChefError if impossible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        why = os_error_text(err)
        if err.errno == errno.ENOENT and path.parent.is_dir():  # /proc and the like
            why = "en esa carpeta no se pueden crear ficheros"
        raise ChefError(f"no puedo escribir {path}: {why}") from None


def check_writable(path, folder: bool = False) -> Path:
    """Raise ChefError now, before the slow work, unless `path` can be written at the end.

    A file (or, with folder=True, a folder swapped in beside its old version) needs a
    writable parent: a temporary file is made there and removed. The parent is created if
    missing, as the final write would do.
    """
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise ChefError(f"{path} es un fichero: indica la ruta de una carpeta")
    if not folder and path.is_dir():
        raise ChefError(f"{path} es una carpeta: indica la ruta de un fichero")
    fd, tmp = _temp_file_beside(path)
    os.close(fd)
    os.unlink(tmp)
    return path


def atomic_write_text(path, text: str) -> None:
    """Write a text file through a temporary file in the same folder, then rename it.

    A folder at `path`, a parent that cannot be made, or no permission raise ChefError with
    one Spanish line; the previous file (if any) is left as it was.
    """
    path = Path(path)
    if path.is_dir():
        raise ChefError(f"{path} es una carpeta: indica la ruta de un fichero")
    fd, tmp = _temp_file_beside(path)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600 files; give the usual permissions
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise ChefError(f"no puedo escribir {path}: {os_error_text(err)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_jsonl(path, required=("instruction", "response")):
    """Read a JSONL file of objects; a bad line raises ChefError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise ChefError(f"no existe el fichero de datos {path} (créalo con: python generate_dataset.py)")
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ChefError(f"{path}:{lineno}: línea JSON no válida ({err.msg})") from None
            if not isinstance(row, dict):
                raise ChefError(f"{path}:{lineno}: se esperaba un objeto JSON")
            for key in required:
                if not isinstance(row.get(key), str) or not row[key].strip():
                    raise ChefError(f"{path}:{lineno}: falta el campo de texto '{key}'")
            rows.append(row)
    if not rows:
        raise ChefError(f"{path}: el fichero está vacío")
    return rows


# ---------------------------------------------------------------------------
# The one model loader
# ---------------------------------------------------------------------------
MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
HOW_TO_TRAIN = "créalo con: python train_from_scratch.py"
# What config.json must say for our GPT-2: transformers fills a missing size with GPT-2's own
# default (12 layers...), which the weights then contradict in an English error, or silently.
CONFIG_SIZES = ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head")


def read_model_json(model_dir, name: str) -> dict:
    """A JSON object file of a model folder; ChefError naming the file, the folder and the line."""
    model_dir = Path(model_dir)
    try:
        text = (model_dir / name).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ChefError(f"{name} de {model_dir} no es un JSON válido (no es texto UTF-8)") from None
    except OSError as err:
        raise ChefError(f"no puedo leer {name} de {model_dir}: {os_error_text(err, reading=True)}") from None
    if not text.strip():
        raise ChefError(f"{name} de {model_dir} está vacío")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ChefError(f"{name} de {model_dir} no es un JSON válido (línea {err.lineno}, columna {err.colno})") from None
    if not isinstance(data, dict):
        raise ChefError(f"{name} de {model_dir} no es un objeto JSON")
    return data


def check_config(model_dir, config: dict) -> None:
    """The GPT-2 config.json keys the loader relies on: present, and positive whole numbers."""
    if config.get("model_type") != "gpt2":
        raise ChefError(f"config.json de {model_dir}: model_type es {json.dumps(config.get('model_type'))}, "
                        "se esperaba \"gpt2\"")
    missing = [key for key in (*CONFIG_SIZES, "eos_token_id") if key not in config]
    if missing:
        raise ChefError(f"a config.json de {model_dir} le falta{'n' if len(missing) > 1 else ''} "
                        f"{', '.join(missing)}")
    for key in (*CONFIG_SIZES, "eos_token_id"):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < (0 if key == "eos_token_id" else 1):
            raise ChefError(f"config.json de {model_dir}: {key} debe ser un número entero "
                            f"{'no negativo' if key == 'eos_token_id' else 'positivo'} (es {json.dumps(value)})")
    if config["n_embd"] % config["n_head"]:
        raise ChefError(f"config.json de {model_dir}: n_embd ({config['n_embd']}) no es múltiplo "
                        f"de n_head ({config['n_head']})")


def check_safetensors(model_dir, config: dict) -> None:
    """model.safetensors has a valid header, is as long as the header says (not cut off), and
    its sizes are config.json's (else transformers fails in English, or silently makes new layers)."""
    path = Path(model_dir) / "model.safetensors"
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(8)
            header_len = int.from_bytes(head, "little") if len(head) == 8 else 0
            if not 0 < header_len <= size - 8:
                raise ValueError
            header = json.loads(f.read(header_len))
            end = max(info["data_offsets"][1] for key, info in header.items() if key != "__metadata__")
            shapes = {key: list(info["shape"]) for key, info in header.items() if key != "__metadata__"}
    except OSError as err:
        raise ChefError(f"no puedo leer model.safetensors de {model_dir}: {os_error_text(err, reading=True)}") from None
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        raise ChefError(f"model.safetensors de {model_dir} está dañado: no es un fichero safetensors "
                        f"({HOW_TO_TRAIN})") from None
    if 8 + header_len + end > size:
        raise ChefError(f"model.safetensors de {model_dir} está incompleto: tiene {size:,} bytes de "
                        f"{8 + header_len + end:,} ({HOW_TO_TRAIN})")
    expected = {"transformer.wte.weight": ("vocab_size", "n_embd"), "transformer.wpe.weight": ("n_positions", "n_embd")}
    for name, keys in expected.items():
        want = [config[key] for key in keys]
        if name not in shapes:
            raise ChefError(f"a model.safetensors de {model_dir} le falta {name} ({HOW_TO_TRAIN})")
        if shapes[name] != want:
            said = ", ".join(f"{key}={config[key]}" for key in keys)
            raise ChefError(f"model.safetensors de {model_dir} no corresponde a su config.json: {name} mide "
                            f"{shapes[name]} y config.json dice {said}")
    layers = {int(m.group(1)) for name in shapes if (m := re.match(r"transformer\.h\.(\d+)\.", name))}
    if layers != set(range(config["n_layer"])):
        raise ChefError(f"model.safetensors de {model_dir} no corresponde a su config.json: tiene {len(layers)} "
                        f"capas y config.json dice n_layer={config['n_layer']}")


def check_model_dir(model_dir) -> Path:
    """Raise ChefError unless model_dir holds a complete model folder whose files can be read.

    Each file is checked for what it must be (valid JSON with the keys we need, a complete
    safetensors file), so an error names the file at fault, not what transformers trips on.
    """
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise ChefError(f"no encuentro la carpeta del modelo {model_dir} ({HOW_TO_TRAIN})")
    missing = [name for name in MODEL_FILES if not (model_dir / name).is_file()]
    if missing:
        raise ChefError(f"a la carpeta del modelo {model_dir} le falta {', '.join(missing)} ({HOW_TO_TRAIN})")
    config = read_model_json(model_dir, "config.json")
    check_config(model_dir, config)
    if not isinstance(read_model_json(model_dir, "tokenizer.json").get("model"), dict):
        raise ChefError(f"a tokenizer.json de {model_dir} le falta el modelo del tokenizador (la clave \"model\")")
    read_model_json(model_dir, "tokenizer_config.json")
    generation_defaults(model_dir)  # generation_config.json, when there is one
    check_safetensors(model_dir, config)
    return model_dir


def pick_device(requested: str = "auto") -> str:
    """'auto' picks CUDA, then MPS, then CPU; anything else is checked and returned."""
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ChefError("se pidió --device cuda pero no hay ninguna GPU CUDA disponible")
    if requested == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ChefError("se pidió --device mps pero MPS no está disponible")
    return requested


# Hardware and FLOPs, for the reports of training, evaluation and the benchmarks.
PEAK_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}  # dense bf16 per GPU, for MFU


def hardware_name(device: str = "auto") -> str:
    """What a device is, for reports: 'N x <GPU name>', 'Apple MPS' or 'CPU (machine, cores, threads)'."""
    import platform

    import torch

    device = pick_device(device)
    if device.startswith("cuda"):
        return f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
    if device == "mps":
        return "Apple MPS"
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads)"


def peak_flops():
    """Dense bf16 FLOP/s of one of the GPUs here (None without CUDA or for an unknown GPU)."""
    import torch

    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(0)
    return next((v for k, v in PEAK_FLOPS.items() if k in name), None)


def flops_per_token(config, seq_len):
    """Training FLOPs per token of a GPT-2 config: 6N for the weights plus attention (PaLM appendix B)."""
    n = config.n_layer * 12 * config.n_embd**2 + config.vocab_size * config.n_embd
    return 6 * n + 12 * config.n_layer * config.n_embd * seq_len


def load_model(model_dir=MODEL_DIR, device: str = "cpu", dtype=None):
    """Load (model, tokenizer) from a folder written by train_from_scratch.py.

    Weights are loaded in float32 on CPU (they may be stored in 16 bits) and in the
    stored dtype elsewhere, unless dtype is given. Raises ChefError with one line on a
    missing or broken folder, or when tokenizer and model disagree.
    """
    model_dir = check_model_dir(model_dir)
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # no "Loading weights" bar in the chat
    try:
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except Exception as err:  # noqa: BLE001 - any failure here means a broken folder
        raise ChefError(f"no puedo leer el tokenizador de {model_dir}: {str(err).splitlines()[0]}") from None
    if dtype is None:
        dtype = torch.float32 if device == "cpu" else "auto"
    try:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)
    except Exception as err:  # noqa: BLE001
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ChefError(f"no puedo cargar el modelo de {model_dir}: {first} ({HOW_TO_TRAIN})") from None
    if len(tokenizer) != model.config.vocab_size:
        raise ChefError(
            f"{model_dir}: el tokenizador tiene {len(tokenizer)} tokens y el modelo {model.config.vocab_size}"
        )
    if tokenizer.convert_tokens_to_ids(EOS_TOKEN) != model.config.eos_token_id:
        raise ChefError(f"{model_dir}: el token de fin del tokenizador no coincide con el del modelo")
    model.to(device).eval()
    return model, tokenizer
