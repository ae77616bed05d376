"""chef.card"""

import re
from pathlib import Path

from chef.catalogue import DIETS
from chef.evaluation import HAND_KINDS, SYSTEMS
from chef.files import atomic_write_text
from chef.prompt import MODEL_NAME
from chef.training import DROPOUT, SAVE_DTYPE, SELECTION_METRIC, WEIGHT_DECAY

CARD_START, CARD_END = "<!-- evaluation:start -->", "<!-- evaluation:end -->"
CARD_START_GGUF, CARD_END_GGUF = "<!-- evaluation-gguf:start -->", "<!-- evaluation-gguf:end -->"


# Rows shared by both tables: label, summary key.
COHERENCE_ROWS = [
    ("recetas incoherentes (se contradicen a sí mismas)", "incoherent"),
    ("· los pasos usan un ingrediente que no está en la lista", "incoherent:unlisted"),
    ("· un ingrediente repetido en la lista o en el título", "incoherent:repeated"),
    ("· anuncia una dieta que sus ingredientes incumplen", "incoherent:diet_announced"),
]


def pct(x):
    return "—" if x is None else f"{100 * x:.1f} %"


def num(x, digits=2):
    return "—" if x is None else f"{x:.{digits}f}"


def markdown_table(summaries, headers):
    """The comparison table: one row per metric, one column per system."""
    rows = [
        ("pérdida reservada (nats/token de respuesta)", lambda s: num(s.get("loss"), 3)),
        ("perplejidad", lambda s: num(s.get("perplexity"), 2)),
        ("recall de ingredientes en la lista", lambda s: pct(s["recall_list"])),
        ("recall de ingredientes en los pasos", lambda s: pct(s["recall_steps"])),
        ("recetas con un ingrediente principal no pedido", lambda s: pct(s["unrequested_rate"])),
        (f"violaciones de la dieta (peticiones con dieta: {summaries['reference']['diet_requests']})",
         lambda s: pct(s["violation_rate"])),
    ]
    for c in DIETS:
        rows.append((f"· incumple «{c}» (n = {summaries['reference'][f'requests:{c}']})",
                     lambda s, c=c: pct(s[f"violation:{c}"])))
    rows += [
        ("formato válido (título, secciones, pasos numerados)", lambda s: pct(s["format_valid"])),
        ("sin token de fin (desbocadas)", lambda s: pct(s["no_end"])),
        *((label, lambda s, key=key: pct(s.get(key))) for label, key in COHERENCE_ROWS),
        ("4-gramas repetidos dentro de la respuesta", lambda s: pct(s["repeated_4gram"])),
        ("distinct-2 entre respuestas", lambda s: num(s["distinct_2"], 3)),
        ("copia: racha más larga con la receta de entrenamiento más cercana (palabras)",
         lambda s: num(s["copy_run"], 1)),
        ("copia: esa racha sobre la longitud de la respuesta", lambda s: pct(s["copy_fraction"])),
        ("longitud media (palabras)", lambda s: num(s["words"], 1)),
    ]
    lines = ["| métrica | " + " | ".join(headers[k] for k in SYSTEMS) + " |",
             "| --- |" + " ---: |" * len(SYSTEMS)]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(summaries[k]) for k in SYSTEMS) + " |")
    return "\n".join(lines)


def hand_table(summary, header="modelo"):
    """The hand-written requests' table: one column (the model), then the share fully right per kind."""
    rows = [
        ("peticiones", str(summary["requests"])),
        (f"ingredientes pedidos en la lista (grupos: {summary['groups']})", pct(summary["groups_list"])),
        ("ingredientes pedidos en los pasos", pct(summary["groups_steps"])),
        ("ingredientes pedidos en la lista y en los pasos", pct(summary["groups_used"])),
        ("peticiones del todo bien (todo lo pedido, nada excluido, dieta cumplida, formato válido)",
         pct(summary["fully_right"])),
        (f"usa algo que la petición excluye (peticiones con «sin ...»: {summary['forbidden_requests']})",
         pct(summary["forbidden_rate"])),
        (f"violaciones de la dieta (peticiones con dieta: {summary['diet_requests']})", pct(summary["violation_rate"])),
        ("formato válido (título, secciones, pasos numerados)", pct(summary["format_valid"])),
        ("sin token de fin (desbocadas)", pct(summary["no_end"])),
        *((label, pct(summary.get(key))) for label, key in COHERENCE_ROWS),
        ("longitud media (palabras)", num(summary["words"], 1)),
        ("del todo bien, por tipo de petición:", ""),
    ]
    for kind, k in summary["by_kind"].items():
        rows.append((f"· {HAND_KINDS.get(kind, kind)} (`{kind}`, n = {k['requests']})", pct(k["fully_right"])))
    lines = [f"| métrica | {header} |", "| --- | ---: |"]
    lines += [f"| {label} | {cell} |" for label, cell in rows]
    return "\n".join(lines)


def card_section(table, info, start=CARD_START, end=CARD_END, hand=None):
    """The model card's evaluation section (Markdown between the markers).

    `hand`: the hand-written requests' table (hand_table), added below the first one when given.
    """
    hand_part = "" if hand is None else f"""
### Hand-written requests

{info['hand_requests']} requests written by hand in `{info['hand_file']}`, typed the way people type them
(bare lists, one ingredient, generic names, plurals, capitals, no accents, typos, quantities, diets,
"para 4 personas", desserts, long lists, a greeting first, dish names). The generated requests above
are phrased like the training data; these are not. Same model and decoding, no baselines.
A request lists each thing asked for as a group of names (catalogue names and the cook's own word):
it is used when any of them is in the `Ingredientes:` list (and, separately, in the steps). Fully
right: every group in the list and in the steps, nothing the request excludes ("sin cebolla"), its
diet kept and the format valid.

{hand}
"""
    return f"""{start}
## Evaluation

`{info['command']}` on {info['requests']} held-out requests made by `generate_dataset.py` with seed
{info['seed']}: none shares an instruction or an ingredient combination with `{info['data']}`.
Decoding: {info['decoding']}, at most {info['max_new_tokens']} new tokens, through the chat template.
{info['model']}; baselines built from the same file: a token {info['ngram_order']}-gram
(interpolated Kneser-Ney over the model's tokenizer, same decoding) and a retriever returning the
training recipe whose ingredients overlap the request most. "Reference" is the generator's own recipe.

{table}

- Loss: mean negative log-likelihood of the reference response tokens (end token included) given
  the prompt, per token of the model's tokenizer for both the model and the n-gram model.
- Recall: share of requested ingredients named in the `Ingredientes:` list / in the steps.
  Main ingredient not requested: a catalogue ingredient that is not a pantry basic.
- Diet violations: among requests with that diet, recipes naming an ingredient it forbids.
- Incoherent: the recipe contradicts itself, whatever was asked: its steps use a main ingredient
  its list lacks, an ingredient is on two list items or twice in the title, or it announces a diet
  ("Receta vegana.") that its own ingredients break.
- Copy: longest run of words shared with the closest of the training recipes.
- {info['elapsed']:.0f} s on {info['hardware']}; every generation is in `{info['output_json']}`.
{hand_part}{end}"""


def replace_section(text, section, start=CARD_START, end=CARD_END):
    """The card with its marked section replaced by `section` (appended when absent)."""
    i, j = text.find(start), text.find(end)
    if i != -1 and j > i:
        return text[:i] + section + text[j + len(end):]
    return text.rstrip("\n") + "\n\n" + section + "\n"


CARD_REQUESTS_RE = re.compile(r"` on (\d+) held-out requests made by")


def card_requests(model_dir, start=CARD_START, end=CARD_END):
    """Requests behind the evaluation the model card shows now (None when it shows none)."""
    card = Path(model_dir) / "README.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else ""
    if start not in text or end not in text:
        return None
    found = CARD_REQUESTS_RE.search(text[text.index(start):text.index(end)])
    return int(found.group(1)) if found else None


def update_card(model_dir, section, start=CARD_START, end=CARD_END):
    card = Path(model_dir) / "README.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else f"# {MODEL_NAME}\n"
    atomic_write_text(card, replace_section(text, section, start, end))
    return card


def model_card(report):
    pass

    rows = "\n".join(
        f"| {e['epoch']:.1f} | {e['step']} | {e['train_loss'] if e['train_loss'] is not None else '-'} | "
        f"{e['eval_loss']:.4f} | {pct(e.get('eval_recall_list'))} | {pct(e.get('eval_recall_steps'))} | "
        f"{pct(e.get('eval_unrequested_rate'))} |"
        for e in report["evaluations"]
    )
    chosen = ("highest greedy score on the held-out requests (mean ingredient recall minus the share "
              "of recipes with an unrequested main ingredient; held-out loss breaks ties)"
              if report["selection"] == SELECTION_METRIC
              else "lowest held-out loss")
    arch = report["architecture"]
    return f"""---
language: es
license: mit
library_name: transformers
pipeline_tag: text-generation
tags: [gpt2, from-scratch, cooking, spanish]
---
# {MODEL_NAME}

A GPT-2 trained **from random weights** on {report['data']['train_examples']} synthetic Spanish recipes
(`{report['data']['file']}`), with its own byte-level BPE tokenizer. Given ingredients, it writes a
recipe in Spanish. Made by `train_from_scratch.py` of the Chef-Bot project.

## Architecture
| | |
| --- | --- |
| layers / heads / width | {arch['n_layer']} / {arch['n_head']} / {arch['n_embd']} |
| context | {arch['n_positions']} tokens |
| vocabulary | {arch['vocab_size']} (byte-level BPE, trained on the data) |
| parameters | {report['parameters']:,} |
| weights stored as | {SAVE_DTYPE} |

## Training
| | |
| --- | --- |
| data | {report['data']['train_examples']} training / {report['data']['heldout_examples']} held-out examples (sha256 `{report['data']['sha256'][:12]}`) |
| epochs | {report['epochs']} ({report['steps']} steps of {report['batch_size']} x {report['world_size']} sequences) |
| learning rate | {report['lr']} peak, cosine, AdamW, weight decay {WEIGHT_DECAY}, dropout {report.get('dropout', DROPOUT)} |
| tokens seen | {report['tokens_seen']:,} (response-loss tokens: {report['loss_tokens_seen']:,}) |
| time | {report['train_seconds']:.0f} s on {report['hardware']} |
| throughput | {report['tokens_per_second']:,.0f} tokens/s{f", MFU {report['mfu']:.1%}" if report.get('mfu') else ""} |
| shipped checkpoint | step {report['shipped_step']} (epoch {report['shipped_epoch']:.1f}): {chosen} |

Loss is computed on the response tokens only. At each evaluation the {report['data']['heldout_examples']} held-out
requests are also answered greedily: share of requested ingredients in the list and in the steps,
and share of recipes naming a main ingredient nobody asked for.

| epoch | step | train loss | held-out loss | list recall | steps recall | unrequested |
| --- | --- | --- | --- | --- | --- | --- |
{rows}

## Use
```bash
python inference_scratch.py            # chat in the terminal
python convert_to_gguf.py              # export for llama.cpp / LM Studio
```

<!-- evaluation:start -->
Not evaluated yet: run `python evaluate.py`.
<!-- evaluation:end -->
"""
