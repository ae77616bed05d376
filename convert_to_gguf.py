"""Convert the trained Chef-Bot model into one GGUF file for llama.cpp, LM Studio and Ollama.

    python convert_to_gguf.py                          # chef-bot-scratch-final/ -> chef-bot-scratch.gguf (f16)
    python convert_to_gguf.py --outtype q8_0           # smaller, 8-bit weights
    python convert_to_gguf.py --outtype f32 --output chef-bot-scratch-f32.gguf
    python convert_to_gguf.py --model otra-carpeta/ --output otro.gguf --no-modelfile

The mapping is llama.cpp's own (convert_hf_to_gguf.py, class GPT2Model), written out in
chef/gguf_export.py because that converter refuses a tokenizer it has never seen, and ours is
trained from scratch. The file holds the metadata (with the chat's sampling defaults, which
llama-cli and llama-server use when no flag overrides them), the tokenizer with its chat template,
and the tensors; an Ollama `Modelfile` goes beside it. A failure leaves nothing behind. The proof
that the file is right (every key and tensor read back, identical tokenisation, logits and greedy
output in llama.cpp) is tests/test_gguf.py.
"""

from pathlib import Path

from chef.cli import make_parser, run_main
from chef.gguf_export import DEFAULT_OUTTYPE, OUTTYPES, convert
from chef.prompt import GGUF_FILE, MODEL_DIR


def parse_args(argv=None):
    p = make_parser(
        "Convierte el modelo entrenado a un único fichero GGUF (llama.cpp, LM Studio, Ollama).",
        epilog="Ejemplos: python convert_to_gguf.py | python convert_to_gguf.py --outtype q8_0 | "
        "python convert_to_gguf.py --model otra-carpeta/ --output otro.gguf",
    )
    p.add_argument("--model", type=Path, default=MODEL_DIR, metavar="CARPETA", help=f"carpeta del modelo entrenado (por defecto: {MODEL_DIR.name}/)")
    p.add_argument("--output", type=Path, default=GGUF_FILE, metavar="FICHERO", help=f"fichero GGUF de salida (por defecto: {GGUF_FILE.name})")
    p.add_argument("--outtype", choices=tuple(OUTTYPES), default=DEFAULT_OUTTYPE,
                   help="tipo de los pesos: f32 (exacto), f16 (por defecto, la mitad), bf16, q8_0 (8 bits, el más "
                   "pequeño); normas y sesgos quedan siempre en f32")
    p.add_argument("--no-modelfile", action="store_true", help="no escribir el Modelfile de Ollama junto al GGUF")
    return p.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    print(f"convirtiendo {args.model} -> {args.output} ({args.outtype})", flush=True)
    s = convert(args.model, args.output, args.outtype, modelfile=not args.no_modelfile)
    types = ", ".join(f"{n} {k}" for k, n in sorted(s["types"].items()))
    where = f" (en {s['worst_tensor']})" if s["max_abs_error"] else ""
    print(f"GGUF escrito: {s['output']}")
    print(f"  {s['bytes'] / 1e6:.2f} MB, {s['tensors']} tensores ({types}), {s['params']:,} parámetros, "
          f"tipo {s['outtype']}, error máximo de conversión {s['max_abs_error']:.2e}{where}, {s['seconds']:.1f} s")
    if s["modelfile"]:
        print(f"  Modelfile de Ollama: {s['modelfile']}")


if __name__ == "__main__":
    run_main(main)
