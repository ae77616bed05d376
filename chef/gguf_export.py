"""The GGUF export: what llama.cpp's GPT-2 converter does, for our own tokenizer.

Its tables (the --outtype choices, the HF -> GGUF tensor map, the metadata values) live here, as
gguf-py keeps its own in tensor_mapping.py; convert_to_gguf.py is the command line around
convert(). Needs numpy, safetensors and gguf only: no torch.
"""

import time
from pathlib import Path

import numpy as np

from chef.cli import ChefError
from chef.files import atomic_write_text, replacing
from chef.model_folder import check_model_dir, generation_defaults, read_model_json
from chef.prompt import ASSISTANT_TOKEN, EOS_TOKEN, GGUF_FILE, MODEL_DIR, MODEL_NAME, PAD_TOKEN, USER_TOKEN

try:
    import gguf
except ImportError:  # --help still works; convert() says what to install
    gguf = None

# --- Tables: metadata values, --outtype choices, the HF GPT-2 -> GGUF tensor names ---
DEFAULT_OUTTYPE = "f16"  # half the size of f32, same greedy output on our tests
BASENAME = "chef-bot-scratch"  # general.basename: file-name friendly model name
LICENSE = "mit"  # general.license: keep in step with the repository's licence
LANGUAGES = ["es"]  # general.languages
DESCRIPTION = "GPT-2 pequeño entrenado desde cero para escribir recetas de cocina en español."
ARCH = "gpt2"
TOKENIZER_PRE = "gpt-2"  # llama.cpp's regex for HF ByteLevel(add_prefix_space=False, use_regex=True)
# --outtype -> (type of the weight matrices, general.file_type), as gguf names them
OUTTYPES = {"f32": ("F32", "ALL_F32"), "f16": ("F16", "MOSTLY_F16"), "bf16": ("BF16", "MOSTLY_BF16"),
            "q8_0": ("Q8_0", "MOSTLY_Q8_0")}
TENSOR_MAP = {
    "transformer.wte.weight": "token_embd.weight",
    "transformer.wpe.weight": "position_embd.weight",
    "transformer.ln_f.weight": "output_norm.weight",
    "transformer.ln_f.bias": "output_norm.bias",
}
# transformer.h.N.<module>.weight and .bias -> blk.N.<name>.weight and .bias
BLOCK_MAP = {"ln_1": "attn_norm", "attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
             "ln_2": "ffn_norm", "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}
# HF GPT-2's projections are Conv1D, stored (in, out): llama.cpp wants (out, in).
CONV1D = {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"}
# Causal-mask buffers of older checkpoints: not weights, and llama.cpp refuses extra tensors.
MASK_BUFFERS = ("attn.bias", "attn.masked_bias")
LM_HEAD = "lm_head.weight"  # tied to wte: llama.cpp reuses token_embd when output.weight is absent


def map_tensors(tensors: dict, n_layer: int, tied: bool) -> list:
    """[(GGUF name, float32 array)] in file order; an unmapped or missing tensor is an error naming it."""
    plan = {src: (dst, False) for src, dst in TENSOR_MAP.items()}  # source name -> (GGUF name, transpose?)
    for i in range(n_layer):
        for src, dst in BLOCK_MAP.items():
            for part in ("weight", "bias"):
                plan[f"transformer.h.{i}.{src}.{part}"] = (f"blk.{i}.{dst}.{part}", part == "weight" and src in CONV1D)
    if not tied:
        plan[LM_HEAD] = ("output.weight", False)
    dropped = {f"transformer.h.{i}.{b}" for i in range(n_layer) for b in MASK_BUFFERS} | ({LM_HEAD} if tied else set())
    unknown = [n for n in tensors if n not in plan and n not in dropped]
    missing = [n for n in plan if n not in tensors]
    for names, error in ((unknown, "tensor sin equivalente en GGUF: {}"),
                         (missing, "falta el tensor {} en model.safetensors")):
        if names:
            raise ChefError(error.format(names[0]) + (f" (y {len(names) - 1} más)" if len(names) > 1 else ""))
    return [(dst, np.ascontiguousarray(tensors[src].T if t else tensors[src])) for src, (dst, t) in plan.items()]


# --- Reading the model folder (checked first by chef.model_folder.check_model_dir) ---
def read_tokenizer(model_dir: Path) -> dict:
    """Tokens, token types, merges, special ids and chat template of the HF tokenizer files."""
    tokenizer_json = read_model_json(model_dir, "tokenizer.json")
    id_to_token = {i: tok for tok, i in tokenizer_json["model"]["vocab"].items()}
    kind = dict.fromkeys(id_to_token, gguf.TokenType.NORMAL)
    for added in tokenizer_json["added_tokens"]:
        id_to_token[added["id"]] = added["content"]
        kind[added["id"]] = gguf.TokenType.CONTROL if added["special"] else gguf.TokenType.USER_DEFINED
    ids = sorted(id_to_token)
    types = [int(kind[i]) for i in ids]
    tokens = [id_to_token[i] for i in ids]
    token_id = {tok: n for n, tok in enumerate(tokens)}
    for name in (EOS_TOKEN, PAD_TOKEN):
        if name not in token_id:
            raise ChefError(f"{model_dir / 'tokenizer.json'}: falta el token especial {name}")

    template = read_model_json(model_dir, "tokenizer_config.json").get("chat_template")
    template_file = model_dir / "chat_template.jinja"
    if template is None and template_file.is_file():
        template = template_file.read_text(encoding="utf-8")
    if not template:
        raise ChefError(f"{model_dir}: el tokenizador no tiene chat template (chat_template.jinja)")
    # transformers 5 stores merges as [left, right] pairs; GGUF wants "left right".
    merges = [m if isinstance(m, str) else " ".join(m) for m in tokenizer_json["model"]["merges"]]
    return {"tokens": tokens, "types": types, "merges": merges, "eos_id": token_id[EOS_TOKEN],
            "pad_id": token_id[PAD_TOKEN], "chat_template": template}


def load_source(model_dir) -> dict:
    """Hyperparameters, tokenizer, sampling defaults and float32 weights (saved float16) of a model folder."""
    from safetensors.numpy import load_file

    model_dir = check_model_dir(model_dir)
    config = read_model_json(model_dir, "config.json")
    try:
        hp = {"n_layer": config["n_layer"], "n_head": config["n_head"], "n_embd": config["n_embd"],
              "n_ctx": config["n_positions"], "n_ff": config.get("n_inner") or 4 * config["n_embd"],
              "eps": config["layer_norm_epsilon"], "tied": config.get("tie_word_embeddings", True)}
        tok = read_tokenizer(model_dir)
    except (KeyError, TypeError) as err:
        raise ChefError(f"{model_dir}: falta o no es válido el campo {err} (config.json o tokenizer.json)") from None
    path = model_dir / "model.safetensors"
    try:
        tensors = load_file(path)
    except Exception as err:  # noqa: BLE001 - a cut-off download or another kind of file
        raise ChefError(f"{path} está dañado o no es un safetensors ({str(err).splitlines()[0]})") from None
    return {"hp": hp, "tok": tok, "sampling": generation_defaults(model_dir),
            "tensors": {name: array.astype(np.float32) for name, array in tensors.items()}}


# --- Writing: metadata and tokenizer keys, then the tensors in the type each is stored in ---
def add_keys(writer, src: dict, file_type, n_params: int) -> None:
    hp, samp, tok = src["hp"], src["sampling"], src["tok"]
    writer.add_name(MODEL_NAME)
    writer.add_basename(BASENAME)
    writer.add_description(DESCRIPTION)
    writer.add_size_label(gguf.utility.model_weight_count_rounded_notation(n_params))
    writer.add_license(LICENSE)
    writer.add_languages(LANGUAGES)
    writer.add_file_type(int(file_type))
    writer.add_quantization_version(gguf.GGML_QUANT_VERSION)
    writer.add_sampling_temp(float(samp["temperature"]))
    writer.add_sampling_top_k(int(samp["top_k"]))
    writer.add_sampling_top_p(float(samp["top_p"]))
    writer.add_sampling_penalty_repeat(float(samp["repetition_penalty"]))
    writer.add_context_length(hp["n_ctx"])
    writer.add_embedding_length(hp["n_embd"])
    writer.add_block_count(hp["n_layer"])
    writer.add_feed_forward_length(hp["n_ff"])
    writer.add_head_count(hp["n_head"])
    writer.add_layer_norm_eps(hp["eps"])
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre(TOKENIZER_PRE)
    writer.add_token_list(tok["tokens"])
    writer.add_token_types(tok["types"])
    writer.add_token_merges(tok["merges"])
    # GPT-2 style: the end token doubles as BOS, and neither is added automatically,
    # exactly as the HF tokenizer does.
    writer.add_bos_token_id(tok["eos_id"])
    writer.add_eos_token_id(tok["eos_id"])
    writer.add_pad_token_id(tok["pad_id"])
    writer.add_add_bos_token(False)
    writer.add_add_eos_token(False)
    writer.add_chat_template(tok["chat_template"])


def tensor_type(gguf_name: str, array: np.ndarray, matrix_type):
    q = gguf.GGMLQuantizationType
    # Norms and biases are tiny and precision-sensitive; llama.cpp expects them in F32.
    # The position table is looked up, not multiplied: llama.cpp's own converter keeps it F32.
    if array.ndim == 1 or gguf_name == "position_embd.weight":
        return q.F32
    if array.shape[-1] % gguf.GGML_QUANT_SIZES[matrix_type][0]:  # q8_0 quantises rows in blocks of 32
        return q.F16
    return matrix_type


def add_tensors(writer, mapped: list, matrix_type):
    """Quantise and add every tensor; returns ({type name: count}, (worst abs error, its tensor))."""
    types, worst = {}, (0.0, "")
    q = gguf.GGMLQuantizationType
    for name, array in mapped:
        qtype = tensor_type(name, array, matrix_type)
        data = gguf.quants.quantize(array, qtype)
        # F32/F16 arrays carry their own type; the block types are raw bytes with a logical shape.
        writer.add_tensor(name, data, raw_dtype=None if qtype in (q.F32, q.F16) else qtype)
        types[qtype.name] = types.get(qtype.name, 0) + 1
        error = float(np.max(np.abs(gguf.quants.dequantize(data, qtype).reshape(array.shape) - array)))
        worst = max(worst, (error, name))
    return types, worst


def convert(model_dir=MODEL_DIR, output=GGUF_FILE, outtype: str = DEFAULT_OUTTYPE, modelfile: bool = False) -> dict:
    """Convert model_dir into the GGUF `output`; returns a summary dict. On error nothing is left behind."""
    start = time.perf_counter()
    if outtype not in OUTTYPES:
        raise ChefError(f"--outtype {outtype!r} no válido (elige entre {', '.join(OUTTYPES)})")
    if gguf is None:
        raise ChefError("falta el paquete gguf (instálalo con: pip install -r requirements.txt)")
    output = Path(output)
    src = load_source(model_dir)
    mapped = map_tensors(src["tensors"], src["hp"]["n_layer"], src["hp"]["tied"])
    n_params = sum(a.size for _, a in mapped)
    matrix_name, file_type_name = OUTTYPES[outtype]

    writer = gguf.GGUFWriter(None, ARCH)
    add_keys(writer, src, gguf.LlamaFileType[file_type_name], n_params)
    types, worst = add_tensors(writer, mapped, gguf.GGMLQuantizationType[matrix_name])

    with replacing(output) as tmp:  # renamed into place only once complete
        try:
            writer.write_header_to_file(tmp)
            writer.write_kv_data_to_file()
            writer.write_tensors_to_file()
        finally:
            writer.close()
    if modelfile:
        atomic_write_text(output.parent / "Modelfile", modelfile_text(output.name, src))
    return {"output": output, "outtype": outtype, "bytes": output.stat().st_size, "tensors": len(mapped),
            "types": types, "params": n_params, "max_abs_error": worst[0], "worst_tensor": worst[1],
            "seconds": time.perf_counter() - start, "modelfile": output.parent / "Modelfile" if modelfile else None}


# --- Ollama Modelfile --------------------------------------------------------
# Ollama uses Go templates, not Jinja, so the chat template is restated here: like the
# GGUF's, it renders only the last user message in the training format. Go templates have
# no lower-casing function: in Ollama, type the request in lower case for the best answers.
OLLAMA_TEMPLATE = ('{{- $last := "" }}{{- range .Messages }}{{- if eq .Role "user" }}{{- $last = .Content }}'
                   '{{- end }}{{- end }}' + USER_TOKEN + " {{ $last }}" + ASSISTANT_TOKEN)


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
