"""Convert the trained Chef-Bot model into one GGUF file for llama.cpp, LM Studio and Ollama.

    python convert_to_gguf.py                          # chef-bot-scratch-final/ -> chef-bot-scratch.gguf (f16)
    python convert_to_gguf.py --outtype q8_0           # smaller, 8-bit weights
    python convert_to_gguf.py --outtype f32 --output chef-bot-scratch-f32.gguf
    python convert_to_gguf.py --model otra-carpeta/ --output otro.gguf --no-modelfile

It needs only numpy and gguf: no torch, and model.safetensors is read straight from its header
(so bf16 weights work too). The GGUF (architecture `gpt2`) holds:

* every hyperparameter from config.json (`gpt2.*`);
* the tokenizer from tokenizer.json: tokens, merges, token types, pre-tokenizer `gpt-2`
  (the same regex as HF's ByteLevel pre-tokenizer), special ids, add-bos/eos flags;
* the chat template the tokenizer carries (`tokenizer.chat_template`);
* `general.*` metadata and the chat's sampling defaults (`general.sampling.*`, which
  llama-cli and llama-server use when no flag overrides them);
* the weights, renamed by an explicit map (anything unmapped or missing is an error).
  Norms and biases stay F32 whatever --outtype says; q8_0 falls back to f16 for a matrix
  whose rows are not a multiple of 32.

The file is written to a temporary name, read back with gguf.GGUFReader and checked key by
key and tensor by tensor, and only then renamed. An Ollama `Modelfile` is written next to
it unless --no-modelfile is given.
"""

import hashlib
import json
import os
import struct
import tempfile
import time
from pathlib import Path

import numpy as np

from chef_common import (
    ASSISTANT_TOKEN,
    EOS_TOKEN,
    GGUF_FILE,
    MODEL_DIR,
    MODEL_NAME,
    PAD_TOKEN,
    USER_TOKEN,
    ChefError,
    atomic_write_text,
    check_model_dir,
    generation_defaults,
    make_parser,
    run_main,
)

# ---------------------------------------------------------------------------
# Defaults
# ---------------------------------------------------------------------------
DEFAULT_OUTTYPE = "f16"  # half the size of f32, same greedy output on our tests
BASENAME = "chef-bot-scratch"  # general.basename: file-name friendly model name
LICENSE = "mit"  # general.license: keep in step with the repository's licence
LANGUAGES = ["es"]  # general.languages
DESCRIPTION = "GPT-2 pequeño entrenado desde cero para escribir recetas de cocina en español."
ARCH = "gpt2"
TOKENIZER_PRE = "gpt-2"  # llama.cpp's regex for HF ByteLevel(add_prefix_space=False, use_regex=True)
CONTEXT_MULTIPLE = 256  # llama.cpp rounds n_ctx up to this; positions past the table would assert
Q8_BLOCK = 32  # q8_0 quantises rows in blocks of 32 values
TANH_GELUS = ("gelu_new", "gelu_pytorch_tanh", "gelu_fast")  # llama.cpp's GELU is the tanh one


def _gguf():
    """Import gguf lazily so `--help` works (and says what to install) without it."""
    try:
        import gguf
    except ImportError:
        raise ChefError("falta el paquete gguf (instálalo con: pip install -r requirements.txt)") from None
    return gguf


def outtypes():
    """--outtype -> (tensor type for matrices, general.file_type)."""
    gguf = _gguf()
    q, ft = gguf.GGMLQuantizationType, gguf.LlamaFileType
    return {
        "f32": (q.F32, ft.ALL_F32),
        "f16": (q.F16, ft.MOSTLY_F16),
        "bf16": (q.BF16, ft.MOSTLY_BF16),
        "q8_0": (q.Q8_0, ft.MOSTLY_Q8_0),
    }


OUTTYPE_NAMES = ("f32", "f16", "bf16", "q8_0")

# ---------------------------------------------------------------------------
# Tensor map: HF GPT-2 name -> (GGUF name, transpose?)
# ---------------------------------------------------------------------------
# HF GPT-2 stores its projections as Conv1D, i.e. (in, out): those are transposed to the
# (out, in) layout llama.cpp expects. "{}" is the block number.
GLOBAL_TENSORS = {
    "transformer.wte.weight": ("token_embd.weight", False),
    "transformer.wpe.weight": ("position_embd.weight", False),
    "transformer.ln_f.weight": ("output_norm.weight", False),
    "transformer.ln_f.bias": ("output_norm.bias", False),
}
BLOCK_TENSORS = {
    "ln_1.weight": ("attn_norm.weight", False),
    "ln_1.bias": ("attn_norm.bias", False),
    "attn.c_attn.weight": ("attn_qkv.weight", True),
    "attn.c_attn.bias": ("attn_qkv.bias", False),
    "attn.c_proj.weight": ("attn_output.weight", True),
    "attn.c_proj.bias": ("attn_output.bias", False),
    "ln_2.weight": ("ffn_norm.weight", False),
    "ln_2.bias": ("ffn_norm.bias", False),
    "mlp.c_fc.weight": ("ffn_up.weight", True),
    "mlp.c_fc.bias": ("ffn_up.bias", False),
    "mlp.c_proj.weight": ("ffn_down.weight", True),
    "mlp.c_proj.bias": ("ffn_down.bias", False),
}
# Causal-mask buffers some GPT-2 checkpoints carry: not weights, and llama.cpp refuses
# a file with tensors it does not expect.
BLOCK_BUFFERS = ("attn.bias", "attn.masked_bias")
LM_HEAD = "lm_head.weight"  # tied to wte: llama.cpp reuses token_embd when output.weight is absent


def tensor_plan(n_layer: int, tie_word_embeddings: bool) -> dict:
    """Every source tensor the model must have -> (GGUF name, transpose?)."""
    plan = dict(GLOBAL_TENSORS)
    for i in range(n_layer):
        for src, (dst, transpose) in BLOCK_TENSORS.items():
            plan[f"transformer.h.{i}.{src}"] = (f"blk.{i}.{dst}", transpose)
    if not tie_word_embeddings:
        plan[LM_HEAD] = ("output.weight", False)
    return plan


def ignorable_tensor(name: str, n_layer: int, tie_word_embeddings: bool) -> bool:
    """Source tensors we may drop on purpose: mask buffers, and lm_head when tied."""
    if tie_word_embeddings and name == LM_HEAD:
        return True
    return any(name == f"transformer.h.{i}.{buf}" for i in range(n_layer) for buf in BLOCK_BUFFERS)


# ---------------------------------------------------------------------------
# Reading the model folder
# ---------------------------------------------------------------------------


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ChefError(f"no puedo leer {path}: {err}") from None


def read_safetensors(path: Path) -> dict:
    """All tensors of a .safetensors file as float32 numpy arrays, without torch.

    safetensors' numpy loader cannot return bfloat16, so the header is parsed here and
    every tensor is read from its byte range (which also checks the file is complete).
    """
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16, "F64": np.float64}
    try:
        data = path.read_bytes()
        (header_len,) = struct.unpack("<Q", data[:8])
        if header_len > len(data) - 8:
            raise ValueError("cabecera más larga que el fichero")
        header = json.loads(data[8 : 8 + header_len].decode("utf-8"))
    except (OSError, struct.error, ValueError, UnicodeDecodeError) as err:
        raise ChefError(f"{path} está dañado o no es un safetensors ({err})") from None
    body = memoryview(data)[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            dtype = dtypes[info["dtype"]]
            start, end = info["data_offsets"]
            shape = tuple(info["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            if not 0 <= start <= end <= len(body) or end - start != count * np.dtype(dtype).itemsize:
                raise ValueError("rango de bytes fuera del fichero")
        except KeyError:
            raise ChefError(f"{path}: el tensor {name} tiene un tipo no soportado ({info.get('dtype')})") from None
        except (TypeError, ValueError) as err:
            raise ChefError(f"{path} está dañado: tensor {name} ({err})") from None
        array = np.frombuffer(body[start:end], dtype=dtype).reshape(shape)
        if info["dtype"] == "BF16":  # bfloat16 is the top half of a float32
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = array.astype(np.float32)
    if not tensors:
        raise ChefError(f"{path} no contiene tensores")
    return tensors


def read_hparams(config: dict, config_path: Path) -> dict:
    """The GPT-2 hyperparameters llama.cpp needs, checked against what it can run."""
    if config.get("model_type") != "gpt2":
        raise ChefError(f"{config_path}: model_type es {config.get('model_type')!r}, se esperaba 'gpt2'")
    try:
        hp = {
            "n_layer": int(config["n_layer"]),
            "n_head": int(config["n_head"]),
            "n_embd": int(config["n_embd"]),
            "n_ctx": int(config["n_positions"]),
            "n_ff": int(config.get("n_inner") or 4 * int(config["n_embd"])),
            "eps": float(config["layer_norm_epsilon"]),
            "vocab_size": int(config["vocab_size"]),
            "tied": bool(config.get("tie_word_embeddings", True)),
            "eos_id": config.get("eos_token_id"),
            "bos_id": config.get("bos_token_id"),
            "pad_id": config.get("pad_token_id"),
        }
    except (KeyError, TypeError, ValueError) as err:
        raise ChefError(f"{config_path}: falta o no es válido el campo {err}") from None
    act = config.get("activation_function")
    if act not in TANH_GELUS:
        raise ChefError(f"{config_path}: activation_function {act!r} no es la GELU tanh que calcula llama.cpp")
    if hp["n_ctx"] % CONTEXT_MULTIPLE:
        raise ChefError(f"{config_path}: n_positions={hp['n_ctx']} debe ser múltiplo de {CONTEXT_MULTIPLE}")
    if hp["n_embd"] % hp["n_head"]:
        raise ChefError(f"{config_path}: n_embd no es múltiplo de n_head")
    if config.get("scale_attn_by_inverse_layer_idx") or config.get("add_cross_attention"):
        raise ChefError(f"{config_path}: variante de GPT-2 que llama.cpp no implementa")
    return hp


def read_tokenizer(model_dir: Path, vocab_size: int) -> dict:
    """Tokens, merges, token types, special ids and chat template from the tokenizer files."""
    gguf = _gguf()
    tj_path = model_dir / "tokenizer.json"
    tj = read_json(tj_path)
    model = tj.get("model") or {}
    pre = tj.get("pre_tokenizer") or {}
    # Anything other than plain byte-level BPE would be tokenised differently by llama.cpp.
    if model.get("type") != "BPE" or model.get("byte_fallback"):
        raise ChefError(f"{tj_path}: se esperaba un BPE byte-level sin byte_fallback")
    if tj.get("normalizer") is not None:
        raise ChefError(f"{tj_path}: el tokenizador tiene normalizer; llama.cpp no lo aplicaría")
    if pre.get("type") != "ByteLevel" or pre.get("add_prefix_space") or not pre.get("use_regex", True):
        raise ChefError(f"{tj_path}: el pre-tokenizer debe ser ByteLevel(add_prefix_space=False, use_regex=True)")
    if adds_special_tokens(tj.get("post_processor")):
        raise ChefError(f"{tj_path}: el post_processor añade tokens especiales; el formato de Chef-Bot no lo hace")

    id_to_token = {int(i): tok for tok, i in model["vocab"].items()}
    specials = set()
    user_defined = set()
    for added in tj.get("added_tokens", []):
        id_to_token[int(added["id"])] = added["content"]
        (specials if added.get("special") else user_defined).add(int(added["id"]))
    if sorted(id_to_token) != list(range(len(id_to_token))):
        raise ChefError(f"{tj_path}: los ids de los tokens no son consecutivos desde 0")
    if len(id_to_token) != vocab_size:
        raise ChefError(f"{tj_path}: el tokenizador tiene {len(id_to_token)} tokens y config.json {vocab_size}")
    tokens = [id_to_token[i] for i in range(len(id_to_token))]
    # llama.cpp silently drops a byte whose symbol is not in the vocabulary.
    missing_bytes = [ch for ch in byte_level_alphabet() if ch not in model["vocab"]]
    if missing_bytes:
        raise ChefError(
            f"{tj_path}: faltan {len(missing_bytes)} de los 256 bytes en el vocabulario "
            "(entrena el tokenizador con initial_alphabet=ByteLevel.alphabet())"
        )
    tt = gguf.TokenType
    types = [
        int(tt.CONTROL if i in specials else tt.USER_DEFINED if i in user_defined else tt.NORMAL)
        for i in range(len(tokens))
    ]
    # transformers 5 may store merges as [left, right] pairs; GGUF wants "left right".
    merges = [m if isinstance(m, str) else " ".join(m) for m in model.get("merges", [])]

    tc = read_json(model_dir / "tokenizer_config.json")
    template = tc.get("chat_template")
    template_file = model_dir / "chat_template.jinja"
    if template is None and template_file.is_file():
        template = template_file.read_text(encoding="utf-8")
    if not isinstance(template, str) or not template.strip():
        raise ChefError(f"{model_dir}: el tokenizador no tiene chat template (chat_template.jinja)")
    if tc.get("add_bos_token") or tc.get("add_eos_token"):
        raise ChefError(f"{model_dir}/tokenizer_config.json: add_bos_token/add_eos_token deben ser false")

    token_id = {tok: i for i, tok in enumerate(tokens)}
    for name in (EOS_TOKEN, PAD_TOKEN, USER_TOKEN, ASSISTANT_TOKEN):
        if name not in token_id or token_id[name] not in specials:
            raise ChefError(f"{tj_path}: falta el token especial {name}")
    return {
        "tokens": tokens,
        "types": types,
        "merges": merges,
        "chat_template": template,
        "eos_id": token_id[EOS_TOKEN],
        "pad_id": token_id[PAD_TOKEN],
    }


def adds_special_tokens(post) -> bool:
    """Whether a tokenizer.json post-processor adds tokens (BOS/EOS) around the text.

    transformers 5 saves an identity TemplateProcessing ("$A" only); that one is fine.
    """
    if post is None or post.get("type") == "ByteLevel":
        return False
    if post.get("type") == "TemplateProcessing":
        pieces = post.get("single", []) + post.get("pair", [])
        return bool(post.get("special_tokens")) or any("SpecialToken" in piece for piece in pieces)
    if post.get("type") == "Sequence":
        return any(adds_special_tokens(p) for p in post.get("processors", []))
    return True


def byte_level_alphabet() -> list:
    """The 256 symbols GPT-2's byte-level BPE uses for raw bytes (as in HF tokenizers)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return [chr(c) for c in cs]


def load_source(model_dir) -> dict:
    """Everything the GGUF is made from, read and checked, as plain Python/numpy."""
    model_dir = check_model_dir(model_dir)
    hp = read_hparams(read_json(model_dir / "config.json"), model_dir / "config.json")
    tok = read_tokenizer(model_dir, hp["vocab_size"])
    if hp["eos_id"] != tok["eos_id"]:
        raise ChefError(f"{model_dir}: eos_token_id de config.json no es el id de {EOS_TOKEN}")
    return {
        "dir": model_dir,
        "hp": hp,
        "tok": tok,
        "sampling": generation_defaults(model_dir),
        "tensors": read_safetensors(model_dir / "model.safetensors"),
    }


# ---------------------------------------------------------------------------
# Tensors: rename, transpose, convert
# ---------------------------------------------------------------------------


def map_tensors(src: dict) -> list:
    """[(GGUF name, float32 array)] in file order; fails naming any unmapped or missing tensor."""
    hp, tensors = src["hp"], src["tensors"]
    plan = tensor_plan(hp["n_layer"], hp["tied"])
    unknown = [n for n in tensors if n not in plan and not ignorable_tensor(n, hp["n_layer"], hp["tied"])]
    if unknown:
        raise ChefError(f"tensor sin equivalente en GGUF: {unknown[0]}" + (f" (y {len(unknown) - 1} más)" if len(unknown) > 1 else ""))
    missing = [n for n in plan if n not in tensors]
    if missing:
        raise ChefError(f"falta el tensor {missing[0]} en model.safetensors" + (f" (y {len(missing) - 1} más)" if len(missing) > 1 else ""))
    if hp["tied"] and LM_HEAD in tensors and not np.array_equal(tensors[LM_HEAD], tensors["transformer.wte.weight"]):
        raise ChefError(f"tie_word_embeddings es true pero {LM_HEAD} no es igual a transformer.wte.weight")

    expected_shapes = expected_source_shapes(hp)
    out = []
    for name, (gguf_name, transpose) in plan.items():
        array = tensors[name]
        if name in expected_shapes and array.shape != expected_shapes[name]:
            raise ChefError(f"{name} tiene forma {array.shape}, config.json implica {expected_shapes[name]}")
        out.append((gguf_name, np.ascontiguousarray(array.T if transpose else array)))
    return out


def expected_source_shapes(hp: dict) -> dict:
    """Shapes implied by config.json for the tensors whose size matters to llama.cpp."""
    e, ff, v, ctx = hp["n_embd"], hp["n_ff"], hp["vocab_size"], hp["n_ctx"]
    shapes = {"transformer.wte.weight": (v, e), "transformer.wpe.weight": (ctx, e), LM_HEAD: (v, e)}
    for i in range(hp["n_layer"]):
        shapes[f"transformer.h.{i}.attn.c_attn.weight"] = (e, 3 * e)
        shapes[f"transformer.h.{i}.attn.c_proj.weight"] = (e, e)
        shapes[f"transformer.h.{i}.mlp.c_fc.weight"] = (e, ff)
        shapes[f"transformer.h.{i}.mlp.c_proj.weight"] = (ff, e)
    return shapes


def tensor_type(gguf_name: str, array: np.ndarray, matrix_type):
    """The type one tensor is stored in for the requested output type."""
    q = _gguf().GGMLQuantizationType
    # Norms and biases are tiny and precision-sensitive; llama.cpp expects them in F32.
    # The position table is looked up, not multiplied: llama.cpp's own converter keeps it F32.
    if array.ndim == 1 or gguf_name == "position_embd.weight":
        return q.F32
    if matrix_type == q.Q8_0 and array.shape[-1] % Q8_BLOCK:
        return q.F16
    return matrix_type


def encode_tensor(array: np.ndarray, qtype) -> np.ndarray:
    """The bytes (as a numpy array) that represent `array` in `qtype`."""
    return _gguf().quants.quantize(array.astype(np.float32), qtype)


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def count_params(mapped: list) -> int:
    return int(sum(a.size for _, a in mapped))


def metadata(src: dict, outtype: str, n_params: int) -> dict:
    """Every GGUF key we write -> (value, writer method name), in writing order."""
    gguf = _gguf()
    hp, tok, samp = src["hp"], src["tok"], src["sampling"]
    _, file_type = outtypes()[outtype]
    return {
        "general.name": (MODEL_NAME, "add_name"),
        "general.basename": (BASENAME, "add_basename"),
        "general.description": (DESCRIPTION, "add_description"),
        "general.size_label": (gguf.utility.model_weight_count_rounded_notation(n_params), "add_size_label"),
        "general.license": (LICENSE, "add_license"),
        "general.languages": (LANGUAGES, "add_languages"),
        "general.file_type": (int(file_type), "add_file_type"),
        "general.quantization_version": (gguf.GGML_QUANT_VERSION, "add_quantization_version"),
        "general.sampling.temp": (float(samp["temperature"]), "add_sampling_temp"),
        "general.sampling.top_k": (int(samp["top_k"]), "add_sampling_top_k"),
        "general.sampling.top_p": (float(samp["top_p"]), "add_sampling_top_p"),
        "general.sampling.penalty_repeat": (float(samp["repetition_penalty"]), "add_sampling_penalty_repeat"),
        "gpt2.context_length": (hp["n_ctx"], "add_context_length"),
        "gpt2.embedding_length": (hp["n_embd"], "add_embedding_length"),
        "gpt2.block_count": (hp["n_layer"], "add_block_count"),
        "gpt2.feed_forward_length": (hp["n_ff"], "add_feed_forward_length"),
        "gpt2.attention.head_count": (hp["n_head"], "add_head_count"),
        "gpt2.attention.layer_norm_epsilon": (hp["eps"], "add_layer_norm_eps"),
        "tokenizer.ggml.model": ("gpt2", "add_tokenizer_model"),
        "tokenizer.ggml.pre": (TOKENIZER_PRE, "add_tokenizer_pre"),
        "tokenizer.ggml.tokens": (tok["tokens"], "add_token_list"),
        "tokenizer.ggml.token_type": (tok["types"], "add_token_types"),
        "tokenizer.ggml.merges": (tok["merges"], "add_token_merges"),
        # GPT-2 style: the end token doubles as BOS, but neither is added automatically,
        # exactly as the HF tokenizer does.
        "tokenizer.ggml.bos_token_id": (tok["eos_id"], "add_bos_token_id"),
        "tokenizer.ggml.eos_token_id": (tok["eos_id"], "add_eos_token_id"),
        "tokenizer.ggml.padding_token_id": (tok["pad_id"], "add_pad_token_id"),
        "tokenizer.ggml.add_bos_token": (False, "add_add_bos_token"),
        "tokenizer.ggml.add_eos_token": (False, "add_add_eos_token"),
        "tokenizer.chat_template": (tok["chat_template"], "add_chat_template"),
    }


def write_gguf(path: Path, keys: dict, tensors: list) -> None:
    """Write keys and already-encoded tensors [(name, data, qtype)] to path."""
    gguf = _gguf()
    writer = gguf.GGUFWriter(str(path), ARCH)
    for value, method in keys.values():
        getattr(writer, method)(value)
    for name, data, qtype in tensors:
        if qtype in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16):
            writer.add_tensor(name, data)
        else:  # bytes of a block type: the writer derives the logical shape from raw_dtype
            writer.add_tensor(name, data, raw_dtype=qtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


# ---------------------------------------------------------------------------
# Reading back
# ---------------------------------------------------------------------------


def field_value(field):
    """A GGUFReader field as a plain Python value (list for arrays)."""
    gguf = _gguf()
    if field.types[0] == gguf.GGUFValueType.ARRAY:
        return list(field.contents())
    return field.contents()


def same_value(got, want) -> bool:
    if isinstance(want, float):  # written as float32
        return got == float(np.float32(want))
    if isinstance(want, bool):
        return got is want or got == want
    return got == want


def verify_gguf(path: Path, keys: dict, expected: dict) -> None:
    """Read the file back and compare every key and tensor with what was meant to be written."""
    gguf = _gguf()
    try:
        reader = gguf.GGUFReader(str(path))
    except Exception as err:  # noqa: BLE001 - any failure means a broken file
        raise ChefError(f"el GGUF escrito no se puede leer: {err}") from None
    if field_value(reader.fields["general.architecture"]) != ARCH:
        raise ChefError("verificación: general.architecture no es gpt2")
    for key, (want, _) in keys.items():
        if key not in reader.fields:
            raise ChefError(f"verificación: falta la clave {key} en el GGUF")
        got = field_value(reader.fields[key])
        if not same_value(got, want):
            raise ChefError(f"verificación: la clave {key} no coincide con el modelo original")
    names = [t.name for t in reader.tensors]
    if sorted(names) != sorted(expected):
        extra = set(names) ^ set(expected)
        raise ChefError(f"verificación: tensores distintos de los esperados: {sorted(extra)[:3]}")
    for t in reader.tensors:
        shape, qtype, digest = expected[t.name]
        got_shape = tuple(int(d) for d in reversed(t.shape.tolist()))  # GGUF stores ggml order
        if got_shape != shape or t.tensor_type != qtype:
            raise ChefError(f"verificación: {t.name} es {t.tensor_type.name}{got_shape}, se esperaba {qtype.name}{shape}")
        if hashlib.sha256(np.ascontiguousarray(t.data).tobytes()).hexdigest() != digest:
            raise ChefError(f"verificación: los datos de {t.name} no coinciden con el modelo original")


# ---------------------------------------------------------------------------
# The conversion
# ---------------------------------------------------------------------------


def convert(model_dir=MODEL_DIR, output=GGUF_FILE, outtype: str = DEFAULT_OUTTYPE, modelfile: bool = False) -> dict:
    """Convert model_dir into the GGUF `output`; returns a summary dict.

    The file appears only once it has been read back and checked; on any error nothing
    is left behind.
    """
    start = time.perf_counter()
    if outtype not in OUTTYPE_NAMES:
        raise ChefError(f"--outtype {outtype!r} no válido (elige entre {', '.join(OUTTYPE_NAMES)})")
    gguf = _gguf()
    output = Path(output)
    src = load_source(model_dir)
    mapped = map_tensors(src)
    matrix_type, _ = outtypes()[outtype]

    encoded, expected, max_err, types_used = [], {}, 0.0, {}
    for name, array in mapped:
        qtype = tensor_type(name, array, matrix_type)
        data = encode_tensor(array, qtype)
        encoded.append((name, data, qtype))
        expected[name] = (array.shape, qtype, hashlib.sha256(np.ascontiguousarray(data).tobytes()).hexdigest())
        types_used[qtype.name] = types_used.get(qtype.name, 0) + 1
        restored = gguf.quants.dequantize(data, qtype).reshape(array.shape)
        max_err = max(max_err, float(np.max(np.abs(restored - array))))
    keys = metadata(src, outtype, count_params(mapped))

    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    except OSError as err:
        raise ChefError(f"no puedo escribir en {output.parent}: {err.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write_gguf(tmp, keys, encoded)
        verify_gguf(tmp, keys, expected)
        os.chmod(tmp, 0o666 & ~current_umask())  # mkstemp makes it private; a model file is not
        os.replace(tmp, output)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise ChefError(f"no puedo escribir {output}: {err.strerror or err}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if modelfile:
        write_modelfile(output, src)
    return {
        "output": output,
        "outtype": outtype,
        "bytes": output.stat().st_size,
        "tensors": len(encoded),
        "types": types_used,
        "params": count_params(mapped),
        "keys": len(keys) + 1,  # + general.architecture, written by GGUFWriter itself
        "max_abs_error": max_err,
        "seconds": time.perf_counter() - start,
        "modelfile": output.parent / "Modelfile" if modelfile else None,
    }


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------------
# Ollama Modelfile
# ---------------------------------------------------------------------------
# Ollama uses Go templates, not Jinja, so the chat template is restated here: like the
# GGUF's, it renders only the last user message in the training format. Go templates have
# no lower-casing function: in Ollama, type the request in lower case for the best answers.
OLLAMA_TEMPLATE = (
    '{{- $last := "" }}{{- range .Messages }}{{- if eq .Role "user" }}{{- $last = .Content }}{{- end }}{{- end }}'
    + USER_TOKEN
    + " {{ $last }}"
    + ASSISTANT_TOKEN
)


def modelfile_text(gguf_name: str, src: dict) -> str:
    samp, hp = src["sampling"], src["hp"]
    return (
        f"# Ollama: ollama create chef-bot -f Modelfile && ollama run chef-bot\n"
        f"FROM ./{gguf_name}\n"
        f'TEMPLATE """{OLLAMA_TEMPLATE}"""\n'
        f'PARAMETER stop "{EOS_TOKEN}"\n'
        f"PARAMETER temperature {samp['temperature']}\n"
        f"PARAMETER top_k {samp['top_k']}\n"
        f"PARAMETER top_p {samp['top_p']}\n"
        f"PARAMETER repeat_penalty {samp['repetition_penalty']}\n"
        f"PARAMETER num_predict {samp['max_new_tokens']}\n"
        f"PARAMETER num_ctx {hp['n_ctx']}\n"
    )


def write_modelfile(output: Path, src: dict) -> None:
    atomic_write_text(output.parent / "Modelfile", modelfile_text(output.name, src))


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def parse_args(argv=None):
    p = make_parser(
        "Convierte el modelo entrenado a un único fichero GGUF (llama.cpp, LM Studio, Ollama).",
        epilog="Ejemplos: python convert_to_gguf.py | python convert_to_gguf.py --outtype q8_0 | "
        "python convert_to_gguf.py --model otra-carpeta/ --output otro.gguf",
    )
    p.add_argument("--model", type=Path, default=MODEL_DIR, metavar="CARPETA", help=f"carpeta del modelo entrenado (por defecto: {MODEL_DIR.name}/)")
    p.add_argument("--output", type=Path, default=GGUF_FILE, metavar="FICHERO", help=f"fichero GGUF de salida (por defecto: {GGUF_FILE.name})")
    p.add_argument(
        "--outtype",
        choices=OUTTYPE_NAMES,
        default=DEFAULT_OUTTYPE,
        help="tipo de los pesos: f32 (exacto), f16 (por defecto, la mitad), bf16, q8_0 (8 bits, el más pequeño); "
        "normas y sesgos quedan siempre en f32",
    )
    p.add_argument("--no-modelfile", action="store_true", help="no escribir el Modelfile de Ollama junto al GGUF")
    return p.parse_args(argv)


def print_summary(s: dict) -> None:
    types = ", ".join(f"{n} {k}" for k, n in sorted(s["types"].items()))
    print(f"GGUF escrito y verificado: {s['output']}")
    print(
        f"  {s['bytes'] / 1e6:.2f} MB, {s['tensors']} tensores ({types}), {s['params']:,} parámetros, "
        f"{s['keys']} claves, tipo {s['outtype']}, error máximo de conversión {s['max_abs_error']:.2e}, "
        f"{s['seconds']:.1f} s"
    )
    if s["modelfile"]:
        print(f"  Modelfile de Ollama: {s['modelfile']}")


def main(argv=None) -> None:
    args = parse_args(argv)
    print(f"convirtiendo {args.model} -> {args.output} ({args.outtype})", flush=True)
    print_summary(convert(args.model, args.output, args.outtype, modelfile=not args.no_modelfile))


if __name__ == "__main__":
    run_main(main)
