"""Measure Chef-Bot on requests it has never seen, against baselines built from the same data.

Held-out requests come from generate_dataset.py with another seed; every request whose
instruction or ingredient combination appears in the training file is dropped. For each
request we score four systems on the same metrics:

  * the model (greedy by default, through its chat template, batched);
  * an n-gram baseline: an interpolated Kneser-Ney token n-gram model (order 3) trained on
    the same file, over the model's own tokenizer, so both losses are nats per response token
    of the same token ids;
  * a nearest-recipe retriever: the training recipe whose ingredients overlap the request most;
  * the generator's own reference recipe (the ceiling).

Metrics (pure functions over text, per request, then averaged): held-out loss and perplexity on
the reference responses (response tokens and the end token only); ingredient recall in the
`Ingredientes:` list and in the `Preparación:` steps; recipes naming a main ingredient that was
not requested; diet violations (vegetariano, vegano, sin lactosa, sin gluten); format validity;
answers that never reach the end token; repeated word 4-grams within an answer; distinct-2
across answers; copying (longest run of words shared with the closest training recipe);
incoherent recipes (steps using a main ingredient the list lacks, an ingredient listed twice or
said twice in the title, a diet the recipe announces and its own ingredients break).

Generated requests are phrased like the training data. The model (only) also answers the requests
written by hand in peticiones_a_mano.jsonl, the way people type them (bare lists, generic names,
capitals, typos, dish names...), each with the ingredient groups it must use, what it must not use
and its diet; a second table gives the share of groups used, of requests fully right, per `kind`.

The Markdown tables are printed; with --card they are also written into the model card (README.md
of the model folder, between <!-- evaluation:start --> and <!-- evaluation:end -->; a GGUF's results
go between the evaluation-gguf markers of the --model folder's card), unless the card shows an
evaluation of more requests (a quick --num 20 never replaces the full one). Every generation goes
to a JSON file.

Commands:
  python evaluate.py                                   # chef-bot-scratch-final/, 300 requests, greedy
  python evaluate.py --card                            # the same, tables written into the model card
  python evaluate.py --num 20                          # quick look
  python evaluate.py --no-hand                         # the generated requests only
  python evaluate.py --hand-file mis_peticiones.jsonl  # another hand-written set, same format
  OMP_NUM_THREADS=1 python evaluate.py                 # CPU shared with other work: 1 thread was 2x faster
  python evaluate.py --temperature 0.7 --top-p 0.9     # the sampled setting the chat ships
  python evaluate.py --model runs/otro --data recetas_extended.jsonl --seed 99 --output-json otro.json
  python evaluate.py --gguf chef-bot-scratch.gguf      # the exported GGUF, through llama-cpp-python
"""

import json
import sys
import time
from pathlib import Path

from chef.baselines import KneserNeyLM, nearest_recipe
from chef.card import (
    CARD_END,
    CARD_END_GGUF,
    CARD_START,
    CARD_START_GGUF,
    card_requests,
    card_section,
    hand_table,
    markdown_table,
    update_card,
)
from chef.cli import ChefError, check_flag, import_heavy, make_parser, run_main
from chef.evaluation import (
    SYSTEMS,
    GGUFModel,
    HFModel,
    check_gguf,
    heldout_requests,
    read_hand_requests,
    training_combinations,
)
from chef.files import atomic_write_text, check_writable, read_jsonl
from chef.hardware import hardware_name
from chef.metrics import CopyIndex, coherence, score_answer, score_hand_answer, summarize, summarize_hand
from chef.model_folder import check_model_dir
from chef.prompt import DATA_FILE, MODEL_DIR, MODEL_NAME, REPO_DIR, format_prompt

# ---------------------------------------------------------------------------
# Defaults
# ---------------------------------------------------------------------------
NUM_REQUESTS = 300  # held-out requests scored
SEED = 20261126  # generator seed of the held-out requests (the dataset uses another one)
OUTPUT_JSON = REPO_DIR / "eval_generations.json"  # every generation, for reading (gitignored)
HAND_FILE = REPO_DIR / "peticiones_a_mano.jsonl"  # requests written by hand, scored beside the generated ones
BATCH_SIZE = {"cpu": 64, "cuda": 256, "mps": 64}  # prompts generated together
NGRAM_ORDER = 3  # the n-gram baseline: trigram over the model's tokens


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(
        description=f"Evalúa {MODEL_NAME} con peticiones nuevas (que no están en los datos de entrenamiento) "
        "y lo compara con un modelo de n-gramas, un recuperador de la receta más parecida y las recetas "
        "de referencia del generador. Escribe la tabla en la ficha del modelo (README.md) y todas las "
        "respuestas en un JSON.",
    )
    parser.add_argument("--model", type=Path, default=MODEL_DIR, help=f"carpeta del modelo (por defecto: {MODEL_DIR.name}/)")
    parser.add_argument("--gguf", type=Path, help="evalúa este fichero GGUF con llama-cpp-python en lugar de la carpeta")
    parser.add_argument("--data", type=Path, default=DATA_FILE,
                        help=f"JSONL de entrenamiento: base de las líneas base y de las exclusiones (por defecto: {DATA_FILE.name})")
    parser.add_argument("--num", type=int, default=NUM_REQUESTS, help="peticiones nuevas a evaluar (por defecto: %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED, help="semilla del generador de peticiones y del muestreo (por defecto: %(default)s)")
    parser.add_argument("--temperature", type=float, default=0.0,
                        help="0 = voraz (por defecto); mayor que 0 muestrea como el chat")
    parser.add_argument("--top-p", type=float, help="al muestrear: masa de probabilidad (por defecto: la del modelo)")
    parser.add_argument("--top-k", type=int, help="al muestrear: k tokens más probables (por defecto: el del modelo)")
    parser.add_argument("--max-new-tokens", type=int, help="tope de tokens por receta (por defecto: el de generation_config.json)")
    parser.add_argument("--batch-size", type=int, help="peticiones generadas a la vez (por defecto: 64 en CPU, 256 en GPU)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"],
                        help="dónde se ejecuta el modelo (por defecto: auto = CUDA, MPS o CPU)")
    parser.add_argument("--ngram-order", type=int, default=NGRAM_ORDER, help="orden del modelo de n-gramas (por defecto: %(default)s)")
    parser.add_argument("--output-json", type=Path, default=OUTPUT_JSON,
                        help=f"JSON con todas las respuestas (por defecto: {OUTPUT_JSON.name})")
    parser.add_argument("--hand-file", type=Path, default=HAND_FILE,
                        help=f"JSONL de peticiones escritas a mano, evaluadas después de las generadas "
                        f"(por defecto: {HAND_FILE.name})")
    parser.add_argument("--no-hand", action="store_true", help="no evaluar las peticiones escritas a mano")
    parser.add_argument("--card", action="store_true",
                        help="escribir las tablas en la tarjeta del modelo (su README.md); no se sustituye una "
                        "evaluación con más peticiones")
    args = parser.parse_args(argv)
    check_flag(args.num >= 1, "--num", "ser 1 o mayor")
    check_flag(args.temperature >= 0, "--temperature", "ser 0 o mayor")
    check_flag(args.top_p is None or 0 < args.top_p <= 1, "--top-p", "estar entre 0 (excluido) y 1")
    check_flag(args.max_new_tokens is None or args.max_new_tokens >= 1, "--max-new-tokens", "ser 1 o mayor")
    check_flag(args.batch_size is None or args.batch_size >= 1, "--batch-size", "ser 1 o mayor")
    check_flag(args.ngram_order >= 1, "--ngram-order", "ser 1 o mayor")
    return args


def decoding_settings(args):
    """Greedy by default; with --temperature the chat's top-k / top-p unless given."""
    from chef.model_folder import generation_defaults

    defaults = generation_defaults(args.model)  # chef_common's defaults when the folder has none
    return {
        "temperature": args.temperature,
        "top_k": args.top_k if args.top_k is not None else defaults["top_k"],
        "top_p": args.top_p if args.top_p is not None else defaults["top_p"],
        "max_new_tokens": args.max_new_tokens or defaults["max_new_tokens"],
    }


def describe_decoding(s):
    if s["temperature"] <= 0:
        return "greedy"
    return f"sampled (temperature {s['temperature']:g}, top-k {s['top_k']}, top-p {s['top_p']:g})"


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------
def progress_bar(total, desc):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="receta", file=sys.stderr, mininterval=1.0, dynamic_ncols=True)


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    rows = read_jsonl(args.data)
    hand_requests = [] if args.no_hand else read_hand_requests(args.hand_file)
    if args.gguf:  # fail on a missing file before the slow work
        check_gguf(args.gguf)
    else:
        check_model_dir(args.model)
    check_writable(args.output_json)  # said now, not after minutes of generation
    if args.card:
        check_writable(Path(args.model) / "README.md")
    import_heavy()
    import torch

    from chef.catalogue import INGREDIENTS, violates
    from chef.dataset import generate_examples
    from chef.hardware import pick_device

    device = pick_device(args.device) if args.gguf is None else "cpu"
    settings = decoding_settings(args)

    # -- requests the training data never had --------------------------------------
    train_combos = training_combinations(rows, INGREDIENTS)
    requests = heldout_requests(rows, train_combos, args.num, args.seed, generate_examples)
    print(f"peticiones: {len(requests)} nuevas (semilla {args.seed}); entrenamiento: {len(rows)} recetas de {args.data}",
          file=sys.stderr)

    # -- the model -------------------------------------------------------------------
    model = GGUFModel(args.gguf) if args.gguf else HFModel.load(args.model, device)
    if model.render("x") != format_prompt("x"):
        print("aviso: la plantilla de chat del modelo no da el formato de entrenamiento", file=sys.stderr)
    prompts = [model.encode(model.render(r["instruction"])) for r in requests]
    examples = []
    for r, p in zip(requests, prompts):
        full = model.encode(model.render(r["instruction"], r["response"]))
        if full[:len(p)] != p or full[-1] != model.eos_id:
            raise ChefError("la plantilla de chat no tokeniza la petición como prefijo del ejemplo completo")
        examples.append((p, full[len(p):]))
    settings["max_new_tokens"] = min(settings["max_new_tokens"], model.context - max(map(len, prompts)))

    with progress_bar(len(examples), "pérdida (modelo)") as bar:
        model_losses = model.response_nll(examples, bar)
    batch_size = args.batch_size or BATCH_SIZE.get(device, 32)
    with progress_bar(len(prompts), "generando (modelo)") as bar:
        model_out = model.generate(prompts, settings, bar, batch_size, args.seed)

    # -- hand-written requests: the model only, same decoding ----------------------------
    hand_out = []
    if hand_requests:
        hand_prompts = [model.encode(model.render(r["request"])) for r in hand_requests]
        hand_settings = dict(settings, max_new_tokens=min(settings["max_new_tokens"],
                                                          model.context - max(map(len, hand_prompts))))
        with progress_bar(len(hand_prompts), "generando (a mano)") as bar:
            hand_out = model.generate(hand_prompts, hand_settings, bar, batch_size, args.seed)

    # -- baselines --------------------------------------------------------------------
    t0 = time.time()
    train_ids = [model.encode(model.render(r["instruction"], r["response"])) for r in rows]
    ngram = KneserNeyLM(train_ids, model.vocab_size, args.ngram_order, model.eos_id)
    print(f"n-gramas: orden {args.ngram_order} entrenado en {time.time() - t0:.1f} s", file=sys.stderr)
    generator = torch.Generator().manual_seed(args.seed)  # sampled like the chat, by sample_next
    ngram_losses, ngram_out = [], []
    with progress_bar(len(prompts), "n-gramas") as bar:
        for p, r in examples:
            ngram_losses.append((ngram.nll(r, p), len(r)))
            ngram_out.append(ngram.generate(p, settings["max_new_tokens"], model.eos_id, settings["temperature"],
                                            settings["top_k"], settings["top_p"], generator))
            bar.update(1)
    retrieved = [nearest_recipe(r["ingredients"], train_combos) for r in requests]

    # -- score every answer ------------------------------------------------------------
    copy_index = CopyIndex([r["response"] for r in rows])
    answers = {
        "model": [(model.decode(ids), ended, len(ids)) for ids, ended in model_out],
        "ngram": [(model.decode(ids), ended, len(ids)) for ids, ended in ngram_out],
        "retriever": [(rows[i]["response"], True, None) for i in retrieved],
        "reference": [(r["response"], True, None) for r in requests],
    }
    scored = {k: [] for k in SYSTEMS}
    with progress_bar(len(requests) * len(SYSTEMS), "puntuando") as bar:
        for system in SYSTEMS:
            for request, (text, ended, n_tokens) in zip(requests, answers[system]):
                s = score_answer(text, request, INGREDIENTS, violates, copy_index)
                s.update(coherence(text, INGREDIENTS, violates))
                scored[system].append(dict(s, reached_end=ended, tokens=n_tokens))
                bar.update(1)
    losses = {"model": model_losses, "ngram": ngram_losses}
    summaries = {k: summarize(scored[k], [t for t, _, _ in answers[k]], losses.get(k)) for k in SYSTEMS}
    hand_texts = [model.decode(ids) for ids, _ in hand_out]
    hand_scored = [dict(score_hand_answer(text, r, INGREDIENTS, violates), reached_end=ended, tokens=len(ids))
                   for r, text, (ids, ended) in zip(hand_requests, hand_texts, hand_out)]
    hand_summary = summarize_hand(hand_scored, hand_requests) if hand_requests else None

    # -- report --------------------------------------------------------------------------
    headers = {"model": "modelo", "ngram": f"{args.ngram_order}-grama", "retriever": "recuperador",
               "reference": "referencia"}
    table = markdown_table(summaries, headers)
    hand = hand_table(hand_summary, headers["model"]) if hand_summary else None
    elapsed = time.time() - t_start
    info = {
        "command": "python evaluate.py " + " ".join(map(str, sys.argv[1:] if argv is None else argv)),
        "requests": len(requests), "seed": args.seed, "data": Path(args.data).name,
        "decoding": describe_decoding(settings), "max_new_tokens": settings["max_new_tokens"],
        "model": f"Model: {model.name}", "ngram_order": args.ngram_order, "elapsed": elapsed,
        "hardware": hardware_name(device), "output_json": Path(args.output_json).name,
        "hand_file": None if args.no_hand else Path(args.hand_file).name, "hand_requests": len(hand_requests),
    }
    report = {
        "settings": {**info, "decoding": settings},
        "summary": summaries,
        "requests": [
            {"instruction": r["instruction"], "ingredients": r["ingredients"], "diet": r.get("diet"),
             "reference": r["response"], "retrieved_training_index": i,
             **{k: {"text": answers[k][n][0], **scored[k][n]} for k in SYSTEMS},
             "loss": {"model": model_losses[n][0] / model_losses[n][1], "ngram": ngram_losses[n][0] / ngram_losses[n][1]}}
            for n, (r, i) in enumerate(zip(requests, retrieved))
        ],
    }
    if hand_summary:
        report["hand"] = {
            "file": str(args.hand_file), "summary": hand_summary,
            "requests": [{**r, "model": {"text": text, **s}}
                         for r, text, s in zip(hand_requests, hand_texts, hand_scored)],
        }
    atomic_write_text(args.output_json, json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    print(f"\n{table}\n")
    if hand:
        print(f"Peticiones escritas a mano ({info['hand_file']}):\n\n{hand}\n")
    markers = (CARD_START_GGUF, CARD_END_GGUF) if args.gguf else (CARD_START, CARD_END)
    shown = card_requests(args.model, *markers)
    if args.card and shown is not None and shown > len(requests):
        print(f"no escribo la tarjeta: muestra una evaluación de {shown} peticiones y esta tiene {len(requests)} "
              f"(usa --num {shown})")
    elif args.card:
        card = update_card(args.model, card_section(table, info, *markers, hand=hand), *markers)
        print(f"tabla escrita en {card}")
    print(f"respuestas en {args.output_json}; {elapsed:.0f} s en total.")


if __name__ == "__main__":
    run_main(main)
