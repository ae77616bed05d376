"""The model folder: the one reader (check every file, then load model and tokenizer) and writer.

train_from_scratch.py writes the folder; the chat, the evaluation, the converter, the benchmarks
and the tests read it through check_model_dir / load_model, which fail with one Spanish line
naming the file at fault. generation_defaults gives the chat's sampling settings it holds.
"""

import json
import os
import re
from pathlib import Path

from chef.cli import ChefError
from chef.files import os_error_text, replacing
from chef.prompt import EOS_TOKEN, MODEL_DIR, SAMPLING_DEFAULTS


def generation_defaults(model_dir) -> dict:
    """The chat's sampling defaults: the model's generation_config.json, else SAMPLING_DEFAULTS."""
    model_dir = Path(model_dir)
    has_file = (model_dir / "generation_config.json").is_file()
    saved = read_model_json(model_dir, "generation_config.json") if has_file else {}
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
    """Raise ChefError unless model_dir holds a complete model folder: each file is checked for what it
    must be (JSON with the keys we need, a whole safetensors file), so the error names the file at fault."""
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


def load_model(model_dir=MODEL_DIR, device: str = "cpu"):
    """(model, tokenizer) of a folder written by train_from_scratch.py: float32 on CPU (the weights may be
    stored in 16 bits), the stored dtype elsewhere; ChefError if tokenizer and model disagree."""
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
    try:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32 if device == "cpu" else "auto")
    except Exception as err:  # noqa: BLE001
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ChefError(f"no puedo cargar el modelo de {model_dir}: {first} ({HOW_TO_TRAIN})") from None
    if len(tokenizer) != model.config.vocab_size:
        raise ChefError(f"{model_dir}: el tokenizador tiene {len(tokenizer)} tokens y el modelo "
                        f"{model.config.vocab_size}")
    if tokenizer.convert_tokens_to_ids(EOS_TOKEN) != model.config.eos_token_id:
        raise ChefError(f"{model_dir}: el token de fin del tokenizador no coincide con el del modelo")
    model.to(device).eval()
    return model, tokenizer


def write_model_folder(output_dir, model, tokenizer, report, card):
    """Write the trained model's folder (weights, tokenizer, generation config, report, card) atomically."""
    with replacing(output_dir, folder=True) as tmp:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        model.generation_config.save_pretrained(tmp)
        (tmp / "training_report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n",
                                                  encoding="utf-8", newline="\n")
        (tmp / "README.md").write_text(card, encoding="utf-8", newline="\n")
