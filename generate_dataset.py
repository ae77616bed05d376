"""Generate the Chef-Bot training set: Spanish cooking requests and their recipes (chef.dataset draws them).

Each line is one JSON object (UTF-8): `instruction`, `response`, `ingredients` (the catalogue names the recipe
cooks), `aliases` ({"pechuga de pollo": "pollo"}: the cook's words), `dish_name` (asked for by name, or null),
`dish_type`, `style`, `diet`, `servings`, `time_minutes`, `excluded` (left out: ["cebolla"]), `counts` (what
the cook counted: {"zanahoria": 2}) and `variants` (other wordings of the request, for a new one each epoch).
The recipes obey every constraint asked for; the same seed gives the same bytes.

Usage:
    python generate_dataset.py                      # 5000 examples, seed 42 -> recetas_extended.jsonl
    python generate_dataset.py --num 200 --seed 7 --output /tmp/muestra.jsonl
"""

import json
import statistics
import time
from collections import Counter

from chef.catalogue import NON_PANTRY, PANTRY
from chef.cli import check_flag, make_parser, run_main
from chef.dataset import MAX_NUM, generate_examples
from chef.files import atomic_write_text, check_writable
from chef.prompt import DATA_FILE

DEFAULT_NUM = 5000  # examples written by a plain run (the committed file)
DEFAULT_SEED = 42  # seed of the committed file; evaluation uses another one


# --- Command line ------------------------------------------------------------
def parse_args(argv=None):
    parser = make_parser(
        "Genera el conjunto de datos de Chef-Bot: peticiones de cocina en español y sus recetas (JSONL).")
    parser.add_argument("--num", type=int, default=DEFAULT_NUM, metavar="N",
                        help=f"número de ejemplos que se escriben (de 1 a {MAX_NUM}; por defecto {DEFAULT_NUM})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, metavar="SEMILLA",
                        help=f"semilla aleatoria; la misma semilla da el mismo fichero (por defecto {DEFAULT_SEED})")
    parser.add_argument("--output", default=str(DATA_FILE), metavar="FICHERO",
                        help=f"fichero JSONL de salida (por defecto {DATA_FILE.name} en el repositorio)")
    args = parser.parse_args(argv)
    check_flag(1 <= args.num <= MAX_NUM, "--num", f"estar entre 1 y {MAX_NUM} (no se pueden generar más ejemplos únicos)")
    check_flag(bool(args.output.strip()), "--output", "ser la ruta de un fichero")
    return args


# --- Summary: what was written, so that a change to the tables shows at a glance ---
def summary(examples: list, seconds: float) -> str:
    n = len(examples)
    used = {name for ex in examples for name in ex["ingredients"]}
    unused = sorted(ing.name for ing in NON_PANTRY if ing.name not in used)
    lengths = [len(ex["response"].split()) for ex in examples]

    def share(field):  # "1154 (23.1 %)": the requests with something in that field
        k = sum(1 for ex in examples if ex[field])
        return f"{k} ({100 * k / n:.1f} %)"

    return "\n".join([
        f"ejemplos escritos: {n}",
        f"instrucciones únicas: {len({ex['instruction'] for ex in examples})}",
        f"respuestas únicas: {len({ex['response'] for ex in examples})}",
        f"ingredientes usados: {len(used)} de {len(NON_PANTRY)} (+{len(PANTRY)} básicos de despensa)",
        f"ingredientes del catálogo sin usar: {', '.join(unused) if unused else 'ninguno'}",
        "tipos de plato: " + ", ".join(
            f"{k} {v}" for k, v in sorted(Counter(ex["dish_type"] for ex in examples).items())),
        f"peticiones con alias (\"pollo\", \"patatas\"): {share('aliases')}, "
        f"{sum(len(ex['aliases']) for ex in examples)} ingredientes con alias",
        f"peticiones por nombre de plato: {share('dish_name')}, "
        f"{len({ex['dish_name'] for ex in examples} - {None})} platos distintos",
        f"peticiones que excluyen algo (\"sin cebolla\"): {share('excluded')}, "
        f"{sum(1 for ex in examples if ex['excluded'] and ex['diet'])} con una dieta",
        f"peticiones con cantidades contadas (\"2 zanahorias\"): {share('counts')}",
        f"otras formas de cada petición: {statistics.mean(len(ex['variants']) for ex in examples):.1f} de media",
        "ingredientes por petición: " + ", ".join(
            f"{k}: {v}" for k, v in sorted(Counter(len(ex["ingredients"]) for ex in examples).items())),
        f"longitud de la respuesta en palabras: media {statistics.mean(lengths):.0f}, máxima {max(lengths)}",
        f"segundos: {seconds:.2f}",
    ])


# --- Main: flags, draw, write atomically, summary ----------------------------
def main(argv=None) -> None:
    args = parse_args(argv)
    check_writable(args.output)  # a bad path is said before the examples are drawn
    start = time.perf_counter()
    examples = generate_examples(args.num, args.seed)
    atomic_write_text(args.output, "".join(json.dumps(ex, ensure_ascii=False) + "\n" for ex in examples))
    print(f"escrito {args.output}")
    print(summary(examples, time.perf_counter() - start))


if __name__ == "__main__":
    run_main(main)
