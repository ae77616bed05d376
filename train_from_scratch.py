"""Train Chef-Bot from nothing: our own byte-level BPE tokenizer and a randomly initialised GPT-2.

Data -> tokens -> weights, in order (each step a function of chef/training.py or chef/tokenizer.py):
  1. read recetas_extended.jsonl (instruction -> response examples) and hold out 5% (fixed seed);
  2. train a byte-level BPE tokenizer on the training texts, with the special tokens and the
     chat template of chef/prompt.py (so training text, apply_chat_template and the GGUF agree);
  3. build GPT2LMHeadModel(6 layers, 8 heads, 512 dims) with seeded random weights;
  4. train with the Hugging Face Trainer for 100 epochs (each request in another wording each epoch), loss
     on the response tokens only; at each evaluation (also a checkpoint) answer the held-out requests
     greedily and score what users judge first (requested ingredients used, no unrequested main ingredient);
  5. write the best checkpoint by that score to chef-bot-scratch-final/ atomically, with
     generation_config.json, the tokenizer, training_report.json and a model card;
  6. print a greedy sample for one held-out instruction.

Commands:
  python train_from_scratch.py                        # full run (needs a GPU: minutes on one H100)
  python train_from_scratch.py --preset tiny          # CPU smoke run, under a minute (-> chef-bot-scratch-tiny/)
  python train_from_scratch.py --resume               # continue an interrupted run
  torchrun --nproc_per_node 2 train_from_scratch.py   # data parallel on 2 GPUs (or CPU processes)
"""

import argparse
import time
from importlib.util import find_spec
from pathlib import Path

from chef.card import model_card, write_curves
from chef.cli import ChefError, check_flag, make_parser, run_main
from chef.files import check_writable, file_sha256, read_jsonl
from chef.hardware import hardware_name
from chef.model_folder import write_model_folder
from chef.prompt import DATA_FILE, MODEL_DIR, WORK_DIR
from chef.tokenizer import get_tokenizer
from chef.training import (CONTEXT_MULTIPLE, DROPOUT, HOLDOUT_FRACTION, PRESETS, RUN_FLAGS, SEED, SELECTION_METRIC,
                           SHOW_VARIANTS, TINY_OUTPUT_DIR, PadCollator, build_config, build_model, default_folders,
                           encode_datasets, greedy_sample, last_complete_checkpoint, load_training_libraries,
                           make_trainer, plan_schedule, ship_model, split_examples, training_arguments,
                           training_report)


# --- Command line (checked before torch loads) -------------------------------
def parse_args(argv=None):
    full, tiny = PRESETS["full"], PRESETS["tiny"]
    parser = make_parser(
        description="Entrena Chef-Bot desde cero: tokenizador BPE propio y GPT-2 con pesos aleatorios.",
        epilog="Ejemplos: python train_from_scratch.py | python train_from_scratch.py --preset tiny | "
        "python train_from_scratch.py --resume",
    )
    parser.add_argument("--data", type=Path, default=DATA_FILE, help="fichero JSONL de recetas (por defecto: %(default)s)")
    parser.add_argument("--output-dir", type=Path, default=None,
                        help=f"carpeta del modelo final (por defecto: {MODEL_DIR.name}/ o, con --preset tiny, {TINY_OUTPUT_DIR.name}/)")
    parser.add_argument("--work-dir", type=Path, default=None,
                        help=f"carpeta de checkpoints (por defecto: {WORK_DIR} o, con --preset tiny, {WORK_DIR}-tiny)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="full",
                        help="full: el modelo del proyecto (6 capas, 8 cabezas, 512 dims); tiny: modelo diminuto para probar en CPU")
    parser.add_argument("--epochs", type=float, default=None, help=f"épocas (por defecto: {full['epochs']}; tiny: {tiny['epochs']})")
    parser.add_argument("--batch-size", type=int, default=None, help=f"secuencias por paso y dispositivo (por defecto: {full['batch_size']}; tiny: {tiny['batch_size']})")
    parser.add_argument("--lr", type=float, default=None, help=f"tasa de aprendizaje máxima (por defecto: {full['lr']:g}; tiny: {tiny['lr']:g})")
    parser.add_argument("--dropout", type=float, default=DROPOUT, help="dropout en embeddings, atención y residuos (por defecto: %(default)s)")
    parser.add_argument("--seed", type=int, default=SEED, help="semilla de la partición, el tokenizador y los pesos (por defecto: %(default)s)")
    parser.add_argument("--max-examples", type=int, default=None, help=f"usar solo los N primeros ejemplos (por defecto: todos; tiny: {tiny['max_examples']})")
    parser.add_argument("--variants", action=argparse.BooleanOptionalAction, default=SHOW_VARIANTS,
                        help=f"cada época, otra redacción de cada petición (campo variants; --no-variants: solo la instrucción; por defecto: {'sí' if SHOW_VARIANTS else 'no'})")
    parser.add_argument("--buckets", type=int, default=0, metavar="N", help="formas fijas: rellena cada lote a un "
                        "múltiplo de N tokens y a --batch-size filas (p. ej. 64; por defecto: 0, no)")
    parser.add_argument("--compile", action="store_true", help="compila el modelo con torch.compile; solo con "
                        "--buckets (pocas formas fijas: sin ellas recompila con cada longitud nueva)")
    parser.add_argument("--report-to", choices=["none", "tensorboard"], default="none", help="tensorboard: curvas en "
                        "vivo en <work-dir>/runs/ (requiere pip install tensorboard; por defecto: %(default)s)")
    parser.add_argument("--resume", action="store_true", help="continuar el entrenamiento interrumpido desde su último checkpoint completo")
    args = parser.parse_args(argv)
    for key in RUN_FLAGS:  # flags left out take the preset's value
        if getattr(args, key) is None:
            setattr(args, key, PRESETS[args.preset][key])
    output_dir, work_dir = default_folders(args.preset)
    args.output_dir, args.work_dir = args.output_dir or output_dir, args.work_dir or work_dir
    check_flag(0 <= args.dropout < 1, "--dropout", "estar entre 0 y 1")
    for flag in ("epochs", "batch_size", "lr"):
        check_flag(getattr(args, flag) > 0, "--" + flag.replace("_", "-"), "ser positivo")
    check_flag(args.max_examples is None or args.max_examples >= 20, "--max-examples", "ser 20 o mayor")
    check_flag(args.buckets == 0 or args.buckets > 0 and CONTEXT_MULTIPLE % args.buckets == 0, "--buckets",
               f"ser 0 o un divisor de {CONTEXT_MULTIPLE}, el múltiplo del contexto (p. ej. 64)")
    check_flag(args.report_to == "none" or find_spec("tensorboard") is not None, "--report-to",
               "ser none sin tensorboard (pip install tensorboard)")
    check_flag(args.buckets or not args.compile, "--compile", "ir con --buckets N")
    return args


# --- The stages: data, tokenizer and model, training, the model folder, a sample ---
def load_data(args):
    """The train / held-out split, the data's hash and the checkpoint to resume from. The folders
    the run writes are checked here, before torch loads, not found out after the whole run."""
    rows = read_jsonl(args.data)[: args.max_examples]  # None: all
    train_rows, held_rows = split_examples(rows, args.seed, HOLDOUT_FRACTION)
    work_dir = Path(args.work_dir)
    checkpoint = last_complete_checkpoint(work_dir) if args.resume else None
    if args.resume and checkpoint is None:
        raise ChefError(f"--resume: no hay ningún checkpoint completo en {work_dir}; empieza sin --resume")
    check_writable(args.output_dir, folder=True)
    check_writable(work_dir / "tokenizer", folder=True)
    return train_rows, held_rows, file_sha256(args.data), checkpoint


def new_model(args, tokenizer, schedule, log):
    """GPT-2 of the preset with seeded random weights, sized to the tokenizer and the context."""
    config = build_config(len(tokenizer), tokenizer.model_max_length, args.preset, args.dropout, tokenizer)
    model = build_model(config, args.seed)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"modelo: GPT-2 {config.n_layer} capas, {config.n_head} cabezas, {config.n_embd} dims, "
        f"contexto {config.n_positions}, vocabulario {config.vocab_size}: {n_params:,} parámetros ({n_params / 1e6:.1f} M)")
    log(f"entrenamiento: {args.epochs:g} épocas, {schedule['total_steps']} pasos de {args.batch_size} x "
        f"{schedule['world']}, evaluación cada {schedule['eval_every']} pasos, en {hardware_name()}")
    return config, model, n_params


def save_model(args, run, model, tokenizer, report, log):
    """The shipped checkpoint, written to the output folder atomically, and one line about it."""
    replaced = Path(args.output_dir).exists()
    model = ship_model(model, run["max_new_tokens"])
    write_model_folder(args.output_dir, model, tokenizer, report, model_card(report))
    write_curves(args.output_dir, report)  # the picture the card shows above its table
    shipped, mfu = report["shipped"], report["mfu"]
    task = (f", recall {shipped['eval_recall_list']:.1%} en la lista, {shipped['eval_unrequested_rate']:.1%} con "
            f"ingredientes no pedidos, {shipped['eval_incoherent_rate']:.1%} incoherentes"
            if "eval_recall_list" in shipped else "")
    log(f"modelo {'reemplazado' if replaced else 'guardado'} en {args.output_dir} (checkpoint del paso "
        f"{report['shipped_step']}, pérdida reservada {report['best_eval_loss']:.4f}{task}); "
        f"{run['train_seconds']:.0f} s de entrenamiento, {report['tokens_per_second']:,.0f} tokens/s"
        + (f", MFU {mfu:.1%}" if mfu else ""))


def main(argv=None):
    args = parse_args(argv)
    t_start = time.time()
    train_rows, held_rows, data_sha, checkpoint = load_data(args)
    load_training_libraries()
    import torch

    cuda = torch.cuda.is_available()
    # Checkpoints are chosen by greedy answers to the held-out requests when the data says which
    # ingredients each one asked for (the generator's `ingredients`), else by held-out loss.
    selection = SELECTION_METRIC if all(isinstance(r.get("ingredients"), list) for r in held_rows) else "eval_loss"
    schedule = plan_schedule(args, len(train_rows))
    targs = training_arguments(args, schedule, cuda, selection)
    log = print if targs.process_index == 0 else (lambda *a, **k: None)
    log(f"datos: {args.data} ({len(train_rows)} de entrenamiento, {len(held_rows)} reservados)")

    # -- tokenizer (trained by the main process first, reused on resume), tokens and model ----
    tokenizer = get_tokenizer(args, targs, train_rows, data_sha, log)
    train_ds, held_ds, max_new_tokens = encode_datasets(tokenizer, train_rows, held_rows, args.variants, args.seed)
    config, model, n_params = new_model(args, tokenizer, schedule, log)

    # -- training ---------------------------------------------------------------------------
    trainer = make_trainer(task_requests=held_rows if selection == SELECTION_METRIC else [],
                           task_max_new_tokens=max_new_tokens, model=model, args=targs, train_dataset=train_ds,
                           eval_dataset=held_ds, data_collator=PadCollator(tokenizer.pad_token_id, cuda, args.buckets, args.batch_size),
                           processing_class=tokenizer)
    if checkpoint:
        log(f"reanudando desde {checkpoint}")
    t_train = time.time()
    result = trainer.train(resume_from_checkpoint=checkpoint)
    train_seconds = time.time() - t_train
    history = list(trainer.state.log_history)  # before the final evaluate() appends to it
    final_eval = trainer.evaluate()  # of the best checkpoint, reloaded by load_best_model_at_end
    if not trainer.is_world_process_zero():
        return

    # -- report and the model folder ----------------------------------------------------------
    run = dict(data_sha=data_sha, train_ds=train_ds, held_ds=held_ds, n_params=n_params, schedule=schedule,
               selection=selection, checkpoint=checkpoint, train_seconds=train_seconds, max_new_tokens=max_new_tokens)
    report = training_report(args, run, config, trainer, result, history, final_eval)
    save_model(args, run, trainer.model, tokenizer, report, log)

    # -- check: a greedy sample for one held-out instruction ----------------------------------
    instruction = held_rows[0]["instruction"]
    answer = greedy_sample(args.output_dir, instruction, max_new_tokens, "cuda" if cuda else "cpu")
    log(f"\nmuestra (greedy) para una petición reservada: {instruction!r}\n{answer}")
    log(f"\nlisto en {time.time() - t_start:.0f} s.")


if __name__ == "__main__":
    run_main(main)
