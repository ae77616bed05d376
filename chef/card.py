"""The model card (README.md of a model folder): written by training (model_card, with the picture of
write_curves), its evaluation section by evaluate.py (markdown_table, hand_table, write_evaluation)
between markers, so a later evaluation replaces it and a GGUF's results get their own section.
"""

import re
from pathlib import Path

from chef.catalogue import DIETS
from chef.evaluation import HAND_KINDS, SYSTEMS
from chef.files import atomic_write_text
from chef.prompt import MODEL_NAME, REPO_DIR
from chef.training import DROPOUT, SAVE_DTYPE, SELECTION_METRIC, WEIGHT_DECAY

CARD_START, CARD_END = "<!-- evaluation:start -->", "<!-- evaluation:end -->"
CARD_START_GGUF, CARD_END_GGUF = "<!-- evaluation-gguf:start -->", "<!-- evaluation-gguf:end -->"
CARD_REQUESTS_RE = re.compile(r"` on (\d+) held-out requests made by")
CURVES_FILE = "training_curves.png"
CURVES = [("eval_loss", "held-out loss", 1), ("eval_recall_list", "list recall (%)", 100),  # panels: key, title, scale
          ("eval_unrequested_rate", "unrequested (%)", 100), ("eval_incoherent_rate", "incoherent (%)", 100)]
CURVES_LINK = f"![Training curves: held-out loss, list recall, unrequested and incoherent share]({CURVES_FILE})\n\n"
NO_CURVES = "sin curvas de entrenamiento en la carpeta del modelo: falta matplotlib (pip install matplotlib)"


# Rows shared by both tables: label, summary key.
COHERENCE_ROWS = [
    ("recetas incoherentes (se contradicen a sí mismas)", "incoherent"),
    ("· los pasos usan un ingrediente que no está en la lista", "incoherent:unlisted"),
    ("· un ingrediente repetido en la lista o en el título", "incoherent:repeated"),
    ("· anuncia una dieta que sus ingredientes incumplen", "incoherent:diet_announced"),
]


def template(name):
    """A Markdown template of data/, filled with str.format."""
    return (REPO_DIR / "data" / name).read_text(encoding="utf-8")


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
        (f"usa algo que la petición excluye (peticiones con «sin ...»: {summaries['reference']['exclusion_requests']})",
         lambda s: pct(s["exclusion_rate"])),
        (f"violaciones de la dieta (peticiones con dieta: {summaries['reference']['diet_requests']})",
         lambda s: pct(s["violation_rate"])),
        *((f"· incumple «{c}» (n = {summaries['reference'][f'requests:{c}']})", lambda s, c=c: pct(s[f"violation:{c}"]))
          for c in DIETS),
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
    """The hand-written requests' table (one column: the model), then one row per kind: how many,
    the share fully right and the share incoherent."""
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
    ]
    lines = [f"| métrica | {header} |", "| --- | ---: |", *(f"| {label} | {cell} |" for label, cell in rows),
             "", "| tipo de petición | n | del todo bien | incoherentes |", "| --- | ---: | ---: | ---: |"]
    lines += [f"| {HAND_KINDS.get(kind, kind)} (`{kind}`) | {k['requests']} | {pct(k['fully_right'])} | "
              f"{pct(k['incoherent'])} |" for kind, k in summary["by_kind"].items()]
    return "\n".join(lines)


def replace_section(text, section, start=CARD_START, end=CARD_END):
    """The card with its marked section replaced by `section` (appended when absent)."""
    i, j = text.find(start), text.find(end)
    if i != -1 and j > i:
        return text[:i] + section + text[j + len(end):]
    return text.rstrip("\n") + "\n\n" + section + "\n"


def shown_requests(text, start, end):
    """Requests behind the evaluation the card's section shows now (None when it shows none)."""
    found = CARD_REQUESTS_RE.search(text[text.find(start):text.find(end)]) if start in text and end in text else None
    return int(found.group(1)) if found else None


def write_evaluation(model_dir, table, info, hand=None, gguf=False):
    """Write the evaluation section (data/evaluation_card.md; the hand-written requests' table, if any, with
    data/evaluation_card_hand.md) into the model card, unless the card shows one of more requests (a quick
    --num 20 never replaces the full one); returns the line to print."""
    start, end = (CARD_START_GGUF, CARD_END_GGUF) if gguf else (CARD_START, CARD_END)
    card = Path(model_dir) / "README.md"
    text = card.read_text(encoding="utf-8") if card.is_file() else f"# {MODEL_NAME}\n"
    if (shown := shown_requests(text, start, end) or 0) > info["requests"]:  # None: no evaluation shown
        return (f"no escribo la tarjeta: muestra una evaluación de {shown} peticiones y esta tiene "
                f"{info['requests']} (usa --num {shown})")
    hand_part = "" if hand is None else "\n" + template("evaluation_card_hand.md").format(**info, hand=hand)
    section = template("evaluation_card.md").format(**info, table=table, start=start, end=end, hand_part=hand_part)
    atomic_write_text(card, replace_section(text, section.rstrip("\n"), start, end))
    return f"tabla escrita en {card}"


def model_card(report, curves=False):
    """README.md of a trained model folder (data/model_card.md), with an empty evaluation section
    for evaluate.py; `curves`: it shows the picture of write_curves."""
    rows = "\n".join(
        f"| {e['epoch']:.1f} | {e['step']} | {e['train_loss'] if e['train_loss'] is not None else '-'} | "
        f"{e['eval_loss']:.4f} | {pct(e.get('eval_recall_list'))} | {pct(e.get('eval_recall_steps'))} | "
        f"{pct(e.get('eval_unrequested_rate'))} | {pct(e.get('eval_incoherent_rate'))} |"
        for e in report["evaluations"]
    )
    chosen = ("highest greedy score on the held-out requests (mean ingredient recall minus the share "
              "of recipes with an unrequested main ingredient and of incoherent ones; held-out loss breaks ties)"
              if report["selection"] == SELECTION_METRIC else "lowest held-out loss")
    return template("model_card.md").format(
        report=report, arch=report["architecture"], rows=rows, chosen=chosen, name=MODEL_NAME,
        sha=report["data"]["sha256"][:12], dropout=report.get("dropout", DROPOUT), save_dtype=SAVE_DTYPE,
        weight_decay=WEIGHT_DECAY, mfu=f", MFU {report['mfu']:.1%}" if report.get("mfu") else "",
        curves=CURVES_LINK if curves else "")


def write_curves(model_dir, report):
    """Draw each evaluation's figures (CURVES) into the model folder, then show the picture in its card;
    without matplotlib (optional: only the tests need it) one line says so and the card stays as it was."""
    try:
        from matplotlib.figure import Figure  # no pyplot: Agg draws straight to the file, no display needed
    except ImportError:
        return print(NO_CURVES)
    curves = [c for c in CURVES if any(e.get(c[0]) is not None for e in report["evaluations"])]
    fig = Figure(figsize=(3.2 * len(curves), 2.8), layout="tight")
    for ax, (key, title, scale) in zip(fig.subplots(1, len(curves), squeeze=False)[0], curves):
        points = [(e["epoch"], scale * e[key]) for e in report["evaluations"] if e.get(key) is not None]
        ax.plot(*zip(*points), marker=".")
        ax.set(title=title, xlabel="epoch")
    fig.savefig(Path(model_dir) / CURVES_FILE, dpi=100)  # before the card links it: never a broken link
    atomic_write_text(Path(model_dir) / "README.md", model_card(report, curves=True))
