"""Chat speed on CPU: time to first token and tokens per second, next to llama.cpp.

Measures chef.decoding.generate_tokens (the chat's loop: KV cache, hand-written
sampling) greedily and with the chat's default sampling, transformers' `generate` for
reference, and llama.cpp (llama-cpp-python) on the same weights converted to GGUF f16 when
it is installed. Time to first token runs from the request's text (template rendering and
tokenisation included) to the first new token id; tokens/s is measured over the tokens
after it. The end token is ignored, so every run writes exactly --tokens tokens. The
evaluation's fixed-shape batch (chef.decoding.decode_greedy) is timed on the same request
(total time only: it returns all tokens at once), and --eval N times it against the chat's
loop on N held-out requests answered together, as evaluate.py and training's checkpoint
score do (same tokens checked).

  python bench/bench_inference.py                     # chef-bot-scratch-final/
  python bench/bench_inference.py --model DIR --tokens 300 --threads 1
  python bench/bench_inference.py --random            # a random model of the default size (no llama.cpp)
  python bench/bench_inference.py --gguf chef-bot-scratch.gguf   # an existing GGUF, no conversion
  python bench/bench_inference.py --no-llama --json bench/results/inference.json
  python bench/bench_inference.py --eval 64          # also 64 held-out requests in one batch
"""

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import torch

from chef.chat import EXAMPLE
from chef.cli import ChefError, check_flag, make_parser, run_main
from chef.decoding import decode, decode_greedy, generate_tokens
from chef.model_folder import load_model
from chef.prompt import DATA_FILE, MODEL_DIR, SAMPLING_DEFAULTS, build_prompt, render_prompt
from chef.training import PRESETS, build_config

# ---------------------------------------------------------------------------
# Defaults
# ---------------------------------------------------------------------------
TOKENS = 200  # new tokens per run
REPEATS = 5  # timed runs per engine (the median is reported), after one warm-up run
REQUEST = EXAMPLE
RANDOM_PROMPT_TOKENS = 12  # about the length of a rendered request
RANDOM_CONTEXT = 512  # n_positions of the --random model (the trained one's is rounded to 256)
CONVERTER = REPO / "convert_to_gguf.py"
EVAL_SEED = 20261126  # evaluate.py's seed: the same held-out requests
NEVER = -1  # an end token id no model writes: decode_greedy runs its whole length


# ---------------------------------------------------------------------------
# Models and prompts
# ---------------------------------------------------------------------------
def random_model():
    """A randomly initialised GPT-2 of the default architecture (train_from_scratch's 'full' preset)."""
    from transformers import GPT2LMHeadModel

    config = build_config(PRESETS["full"]["vocab_size"], RANDOM_CONTEXT)
    torch.manual_seed(0)
    return GPT2LMHeadModel(config).eval()


def prompt_maker(tokenizer, model):
    """A function giving the prompt ids for the request: from its text, or random ids for --random."""
    if tokenizer is None:
        ids = torch.randint(4, model.config.vocab_size, (RANDOM_PROMPT_TOKENS,)).tolist()
        return lambda: ids
    budget = model.config.max_position_embeddings - TOKENS
    return lambda: build_prompt(tokenizer, REQUEST, budget)[0]


# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------
def time_stream(start_stream, tokens):
    """(seconds to the first token, tokens/s after it) for one run of a token iterator."""
    t0 = time.perf_counter()
    stream = start_stream()
    next(stream)
    t_first = time.perf_counter()
    for n, _ in enumerate(stream, start=2):
        if n == tokens:
            break
    t_end = time.perf_counter()
    return t_first - t0, (tokens - 1) / (t_end - t_first)


def measure(name, start_stream, tokens, repeats):
    time_stream(start_stream, tokens)  # warm-up: first-call allocations, caches
    runs = [time_stream(start_stream, tokens) for _ in range(repeats)]
    result = {
        "engine": name,
        "first_token_ms": round(1000 * statistics.median(r[0] for r in runs), 1),
        "tokens_per_s": round(statistics.median(r[1] for r in runs), 1),
    }
    print(f"  {name:<34} {result['first_token_ms']:>9.1f} ms {result['tokens_per_s']:>10.1f}", flush=True)
    return result


def ours(model, make_prompt, tokens, **sampling):
    def start():
        return generate_tokens(model, make_prompt(), max_new_tokens=tokens, eos_token_id=None,
                               generator=torch.Generator().manual_seed(0), **sampling)
    return start


def whole_answer(engine, generate, make_prompt, tokens, repeats):
    """tokens/s of an engine that returns all tokens at once: total time only (first token included)."""
    def once():
        prompt = make_prompt()
        t0 = time.perf_counter()
        generate(prompt)
        return tokens / (time.perf_counter() - t0)

    once()
    rate = round(statistics.median(once() for _ in range(repeats)), 1)
    print(f"  {engine:<34} {'-':>12} {rate:>10.1f}  (incluye el primer token)", flush=True)
    return {"engine": engine, "first_token_ms": None, "tokens_per_s": rate}


def hf_generate(model, make_prompt, tokens, repeats):
    """transformers' generate, greedy."""
    def run(prompt):
        with torch.inference_mode():
            model.generate(torch.tensor([prompt]), max_new_tokens=tokens, min_new_tokens=tokens,
                           do_sample=False, pad_token_id=model.config.eos_token_id)
    return whole_answer("transformers generate, voraz", run, make_prompt, tokens, repeats)


def static_batch(model, make_prompt, tokens, repeats):
    """chef.decoding.decode_greedy on the one request."""
    return whole_answer("PyTorch, lote fijo voraz", lambda prompt: decode_greedy(model, [prompt], tokens, NEVER),
                        make_prompt, tokens, repeats)


def eval_batch(model, tokenizer, num, max_new_tokens):
    """Greedy answers to num held-out requests in one batch: the chat's loop (decode, a recipe
    leaves the batch at its end token) against decode_greedy (fixed shape); same tokens required."""
    from chef.catalogue import INGREDIENTS
    from chef.evaluation import heldout_requests, training_combinations
    from chef.files import read_jsonl

    rows = read_jsonl(DATA_FILE)
    requests = heldout_requests(rows, training_combinations(rows, INGREDIENTS), num, EVAL_SEED)
    prompts = sorted((render_prompt(tokenizer, r["instruction"]) for r in requests), key=len)
    eos, results, answers = model.config.eos_token_id, [], {}

    def loop():
        out = [[] for _ in prompts]
        for step in decode(model, prompts, max_new_tokens, eos_token_id=eos):
            for row, token in step.items():
                out[row].append(token)
        return out

    for name, run in (("bucle del chat (decode)", loop),
                      ("lote fijo (decode_greedy)", lambda: decode_greedy(model, prompts, max_new_tokens, eos))):
        t0 = time.perf_counter()
        answers[name] = run()
        seconds, n_tokens = time.perf_counter() - t0, sum(map(len, answers[name]))
        print(f"  {name:<34} {seconds:>9.1f} s  {n_tokens / seconds:>8.1f} tokens/s ({n_tokens} tokens)", flush=True)
        results.append({"engine": name, "requests": num, "seconds": round(seconds, 2), "tokens": n_tokens})
    same = len(set(map(str, answers.values()))) == 1
    print(f"  mismas respuestas: {'sí' if same else 'NO'}")
    return results, same


# ---------------------------------------------------------------------------
# llama.cpp
# ---------------------------------------------------------------------------
def llama_results(args, model, tokenizer, make_prompt):
    """llama.cpp on the same weights, or None with the reason printed."""
    if args.no_llama:
        return None
    if args.random:
        print("llama.cpp: omitido (el modelo de --random no tiene tokenizador que convertir)")
        return None
    try:
        import llama_cpp
    except ImportError:
        print("llama.cpp: omitido (llama-cpp-python no está instalado: pip install -r requirements-dev.txt)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        gguf = args.gguf
        if gguf is None:
            if not CONVERTER.is_file():
                print(f"llama.cpp: omitido (falta {CONVERTER.name} para convertir el modelo)")
                return None
            gguf = Path(tmp) / "chef-bot.gguf"
            proc = subprocess.run([sys.executable, str(CONVERTER), "--model", str(args.model), "--output", str(gguf),
                                   "--outtype", "f16"], capture_output=True, text=True)
            if proc.returncode != 0:
                last = (proc.stderr.strip() or proc.stdout.strip() or "sin mensaje").splitlines()[-1]
                print(f"llama.cpp: omitido (la conversión a GGUF falló: {last})")
                return None
        llm = llama_cpp.Llama(str(gguf), n_ctx=model.config.max_position_embeddings, n_threads=args.threads,
                              n_threads_batch=args.threads, verbose=False)
        text = tokenizer.decode(make_prompt(), clean_up_tokenization_spaces=False)
        prompt = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if prompt != make_prompt():
            print("  aviso: llama.cpp tokeniza el prompt de otra forma que transformers")

        def start():
            llm.reset()  # otherwise generate() reuses the cached prompt and skips its evaluation
            return llm.generate(prompt, temp=0.0, top_k=1)

        result = measure("llama.cpp f16, voraz (Python)", start, args.tokens, args.repeats)
        llm.close()
        return result


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser("Velocidad del chat en CPU: tiempo hasta el primer token y "
                         "tokens por segundo, junto a llama.cpp con los mismos pesos.")
    parser.add_argument("--model", type=Path, default=MODEL_DIR, metavar="CARPETA",
                        help=f"carpeta del modelo (por defecto: {MODEL_DIR.name}/)")
    parser.add_argument("--random", action="store_true",
                        help="usar un modelo aleatorio del tamaño por defecto en lugar de --model")
    parser.add_argument("--tokens", type=int, default=TOKENS, metavar="N", help="tokens nuevos por prueba (por defecto: %(default)s)")
    parser.add_argument("--repeats", type=int, default=REPEATS, metavar="N",
                        help="pruebas medidas por motor; se da la mediana (por defecto: %(default)s)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), metavar="N",
                        help="hilos de CPU (por defecto: %(default)s)")
    parser.add_argument("--gguf", type=Path, metavar="FICHERO", help="GGUF ya convertido para llama.cpp (si no, se convierte en f16)")
    parser.add_argument("--no-llama", action="store_true", help="no medir llama.cpp")
    parser.add_argument("--eval", type=int, default=0, metavar="N",
                        help="medir también N peticiones nuevas en un lote, como la evaluación (por defecto: no)")
    parser.add_argument("--json", type=Path, metavar="FICHERO", help="guardar los resultados en este fichero JSON")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    check_flag(args.tokens >= 2, "--tokens", "ser 2 o mayor")
    check_flag(args.repeats >= 1, "--repeats", "ser 1 o mayor")
    check_flag(args.eval >= 0 and not (args.eval and args.random), "--eval", "ser 0 o mayor, y sin --random")
    torch.set_num_threads(args.threads)
    if args.random:
        model, tokenizer = random_model(), None
    else:
        model, tokenizer = load_model(args.model, device="cpu")
    context = model.config.max_position_embeddings
    if args.tokens > context - RANDOM_PROMPT_TOKENS * 4:
        raise ChefError(f"--tokens {args.tokens} no cabe en el contexto del modelo ({context} tokens)")
    make_prompt = prompt_maker(tokenizer, model)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"modelo: {'aleatorio' if args.random else args.model} ({n_params / 1e6:.1f} M parámetros, "
          f"{model.config.n_layer} capas, {model.config.n_embd} dims, vocabulario {model.config.vocab_size}); "
          f"prompt de {len(make_prompt())} tokens, {args.tokens} tokens nuevos")
    print(f"CPU: {platform.processor() or platform.machine()}, {args.threads} hilos, torch {torch.__version__}")
    print(f"  {'motor':<34} {'primer token':>12} {'tokens/s':>10}")
    defaults = {k: v for k, v in SAMPLING_DEFAULTS.items() if k != "max_new_tokens"}
    results = [
        measure("PyTorch, voraz", ours(model, make_prompt, args.tokens, temperature=0.0), args.tokens, args.repeats),
        measure("PyTorch, muestreo por defecto", ours(model, make_prompt, args.tokens, **defaults),
                args.tokens, args.repeats),
        hf_generate(model, make_prompt, args.tokens, args.repeats),
        static_batch(model, make_prompt, args.tokens, args.repeats),
    ]
    llama = llama_results(args, model, tokenizer, make_prompt)
    if llama:
        results.append(llama)
    evaluation, same = [], True
    if args.eval:
        print(f"evaluación: {args.eval} peticiones nuevas en un lote, voraz, hasta {SAMPLING_DEFAULTS['max_new_tokens']} tokens")
        evaluation, same = eval_batch(model, tokenizer, args.eval, SAMPLING_DEFAULTS["max_new_tokens"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"model": str(args.model), "random": args.random, "threads": args.threads,
                                         "tokens": args.tokens, "results": results, "evaluation": evaluation},
                                        indent=2) + "\n")
    if not same:
        raise ChefError("el lote fijo no da las mismas respuestas que el bucle del chat")


if __name__ == "__main__":
    run_main(main)
