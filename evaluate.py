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

Metrics (chef/metrics.py, per request, then averaged): held-out loss and perplexity on the
reference answers; ingredient recall in the `Ingredientes:` list and in the steps; unrequested main
ingredients; diet violations; format validity; answers that never end; repeated 4-grams; distinct-2;
copying from the training recipes; incoherent recipes. The model (only) also answers the requests
written by hand in peticiones_a_mano.jsonl, the way people type them (a second table, then per kind
the shares fully right and incoherent; counted units, "2 zanahorias", are not checked yet): all of
them, or with --num N < 300 a fixed sample, the first ceil(N / kinds) of each kind in file order.

The tables are printed; with --card they are also written into the model card (README.md of the
model folder; a GGUF's results in their own section of the --model folder's card), unless the card
shows an evaluation of more requests. Every generation goes to a JSON file.

Commands:
  python evaluate.py                                   # chef-bot-scratch-final/, 300 requests, greedy
  python evaluate.py --card                            # the same, tables written into the model card
  python evaluate.py --num 10                          # quick look: 10 new requests, 1 hand-written of each kind
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

from chef.baselines import nearest_recipe
from chef.card import hand_table, markdown_table, write_evaluation
from chef.catalogue import INGREDIENTS
from chef.cli import check_flag, import_heavy, make_parser, run_main
from chef.decoding import cap_new_tokens
from chef.evaluation import (GGUFModel, HFModel, answer_hand, check_gguf, generate_answers, hand_sample,
                             heldout_requests, ngram_baseline, progress_bar, read_hand_requests, reference_examples, request_records,
                             score_systems, training_combinations)
from chef.files import atomic_write_text, check_writable, read_jsonl
from chef.hardware import hardware_name, pick_device
from chef.model_folder import check_model_dir, generation_defaults
from chef.prompt import DATA_FILE, MODEL_DIR, MODEL_NAME, REPO_DIR

# --- Defaults ----------------------------------------------------------------
NUM_REQUESTS = 300  # held-out requests scored
SEED = 20261126  # generator seed of the held-out requests (the dataset uses another one)
OUTPUT_JSON = REPO_DIR / "eval_generations.json"  # every generation, for reading (gitignored)
HAND_FILE = REPO_DIR / "peticiones_a_mano.jsonl"  # requests written by hand, scored beside the generated ones
BATCH_SIZE = {"cpu": 64, "cuda": 256, "mps": 64}  # prompts generated together
NGRAM_ORDER = 3  # the n-gram baseline: trigram over the model's tokens


# --- Command line ------------------------------------------------------------
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
    parser.add_argument("--num", type=int, default=NUM_REQUESTS,
                        help="peticiones nuevas a evaluar (por defecto: %(default)s); con menos, unas tantas a mano, "
                        "las primeras de cada tipo (siempre las mismas)")
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
    defaults = generation_defaults(args.model)  # chef.prompt.SAMPLING_DEFAULTS when the folder has none
    return {"temperature": args.temperature, "top_k": args.top_k if args.top_k is not None else defaults["top_k"],
            "top_p": args.top_p if args.top_p is not None else defaults["top_p"],
            "max_new_tokens": args.max_new_tokens or defaults["max_new_tokens"]}


# --- Main --------------------------------------------------------------------
def check_inputs(args):
    """The training rows and the hand-written requests; every path is checked before the slow work."""
    rows = read_jsonl(args.data)
    hand_requests = [] if args.no_hand else read_hand_requests(args.hand_file)
    if args.gguf:
        check_gguf(args.gguf)
    else:
        check_model_dir(args.model)
    check_writable(args.output_json)  # said now, not after minutes of generation
    if args.card:
        check_writable(Path(args.model) / "README.md")
    return rows, hand_requests


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    rows, hand_requests = check_inputs(args)
    import_heavy()
    device = pick_device(args.device) if args.gguf is None else "cpu"
    settings = decoding_settings(args)

    # -- requests the training data never had --------------------------------------
    train_combos = training_combinations(rows, INGREDIENTS)
    requests = heldout_requests(rows, train_combos, args.num, args.seed)
    print(f"peticiones: {len(requests)} nuevas (semilla {args.seed}); entrenamiento: {len(rows)} recetas de {args.data}",
          file=sys.stderr)
    if hand_requests and args.num < NUM_REQUESTS:  # the quick look: a fixed sample that keeps every kind
        hand_requests, total = hand_sample(hand_requests, args.num), len(hand_requests)
        print(f"a mano: {len(hand_requests)} de {total} (las primeras de cada tipo; todas sin --num)", file=sys.stderr)

    # -- the model: loss on the reference recipes, then its own answers ---------------
    model = GGUFModel(args.gguf) if args.gguf else HFModel.load(args.model, device)
    examples = reference_examples(model, requests)  # (prompt ids, reference answer ids)
    prompts = [p for p, _ in examples]
    settings["max_new_tokens"] = cap_new_tokens(settings["max_new_tokens"], model.context, max(map(len, prompts)))
    with progress_bar(len(examples), "pérdida (modelo)") as bar:
        model_losses = model.response_nll(examples, bar)
    batch_size = args.batch_size or BATCH_SIZE.get(device, 32)
    model_out = generate_answers(model, prompts, settings, batch_size, args.seed, "generando (modelo)")

    # -- hand-written requests: the model only, same decoding, scored at once -------------
    hand = answer_hand(model, hand_requests, settings, batch_size, args.seed) if hand_requests else None

    # -- baselines --------------------------------------------------------------------
    ngram_losses, ngram_out = ngram_baseline(model, rows, examples, settings, args.ngram_order, args.seed)
    retrieved = [nearest_recipe(r["ingredients"], train_combos) for r in requests]

    # -- score every answer ------------------------------------------------------------
    answers = {
        "model": [(model.decode(ids), ended, len(ids)) for ids, ended in model_out],
        "ngram": [(model.decode(ids), ended, len(ids)) for ids, ended in ngram_out],
        "retriever": [(rows[i]["response"], True, None) for i in retrieved],
        "reference": [(r["response"], True, None) for r in requests],
    }
    losses = {"model": model_losses, "ngram": ngram_losses}
    scored, summaries = score_systems(requests, answers, losses, [r["response"] for r in rows])
    records = request_records(requests, retrieved, answers, scored, losses)
    info = run_info(args, argv, model.name, device, settings, len(requests), len(hand_requests), t_start)
    report(args, info, settings, summaries, records, hand)


def run_info(args, argv, model_name, device, settings, n_requests, n_hand, t_start):
    """What the card says about this run: command, data, decoding, model, time, hardware."""
    decoding = ("greedy" if settings["temperature"] <= 0
                else "sampled (temperature {temperature:g}, top-k {top_k}, top-p {top_p:g})".format(**settings))
    return {
        "command": "python evaluate.py " + " ".join(map(str, sys.argv[1:] if argv is None else argv)),
        "requests": n_requests, "seed": args.seed, "data": Path(args.data).name,
        "decoding": decoding, "max_new_tokens": settings["max_new_tokens"],
        "model": f"Model: {model_name}", "ngram_order": args.ngram_order, "elapsed": time.time() - t_start,
        "hardware": hardware_name(device), "output_json": Path(args.output_json).name,
        "hand_file": None if args.no_hand else Path(args.hand_file).name, "hand_requests": n_hand,
    }


def report(args, info, settings, summaries, records, hand):
    """The JSON of every answer, the tables on screen and, with --card, in the model card.
    hand: answer_hand's {"requests": JSON records, "summary": ...}, or None."""
    headers = {"model": "modelo", "ngram": f"{args.ngram_order}-grama", "retriever": "recuperador",
               "reference": "referencia"}
    table = markdown_table(summaries, headers)
    hand_md = hand_table(hand["summary"], headers["model"]) if hand else None
    result = {"settings": {**info, "decoding": settings}, "summary": summaries, "requests": records}
    if hand:
        result["hand"] = {"file": str(args.hand_file), "summary": hand["summary"], "requests": hand["requests"]}
    atomic_write_text(args.output_json, json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    print(f"\n{table}\n")
    if hand_md:
        print(f"Peticiones escritas a mano ({info['hand_file']}):\n\n{hand_md}\n")
    if args.card:
        print(write_evaluation(args.model, table, info, hand_md, gguf=args.gguf is not None))
    print(f"respuestas en {args.output_json}; {info['elapsed']:.0f} s en total.")


if __name__ == "__main__":
    run_main(main)
