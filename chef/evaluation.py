"""The evaluation's stages: held-out and hand-written requests, the model behind a few methods
(a Hugging Face folder or a GGUF file), its answers and losses, the n-gram baseline, and the
scores of every system. evaluate.py runs them in order; training builds an HFModel for its
checkpoint score (chef.metrics.task_metrics).
"""

import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

from chef.baselines import KneserNeyLM
from chef.catalogue import DIETS, INGREDIENTS, read_table, violates
from chef.cli import ChefError
from chef.dataset import generate_examples
from chef.decoding import cap_new_tokens, decode, decode_greedy
from chef.files import read_jsonl
from chef.model_folder import load_model
from chef.metrics import (CopyIndex, find_ingredients, recipe_parts, score_answer, score_hand_answer, summarize,
                          summarize_hand)
from chef.prompt import MODEL_NAME, format_prompt, render_prompt
from chef.spanish import fold

LOSS_BATCH_SIZE = 16  # reference examples scored together
SYSTEMS = ("model", "ngram", "retriever", "reference")  # columns of the table, in order


# --- Held-out requests -------------------------------------------------------
def training_combinations(rows, catalogue):
    """Ingredient combination (frozenset of main ingredients) of each training row.

    Rows from the generator carry their `ingredients`; for other files they are read from the
    recipe's ingredient list (main ingredients only: pantry basics go with every request).
    """
    combos = []
    for row in rows:
        names = row.get("ingredients")
        if not isinstance(names, list):
            items, _ = recipe_parts(row["response"])
            names = [n for n in find_ingredients(items, catalogue) if not catalogue[n].pantry]
        combos.append(frozenset(names))
    return combos


def heldout_requests(train_rows, train_combos, num, seed):
    """num new generator requests sharing no instruction (compared folded: capitals, accents and
    spacing do not make it new) and no ingredient combination with training."""
    train_instructions = {fold(r["instruction"]) for r in train_rows}
    asked, picked = num, []
    for _ in range(6):  # ask for more each round: most requests are new, some collide with training
        picked, instructions, combos = [], set(train_instructions), set(train_combos)
        for ex in generate_examples(asked, seed):
            text, combo = fold(ex["instruction"]), frozenset(ex["ingredients"])
            if text in instructions or combo in combos:
                continue
            instructions.add(text)  # no duplicates among the held-out requests either
            combos.add(combo)
            picked.append(ex)
            if len(picked) == num:
                return picked
        asked *= 2
    raise ChefError(f"solo encuentro {len(picked)} peticiones nuevas de {num} con --seed {seed}: "
                    "prueba otra semilla o un --num menor")


# --- Hand-written requests (peticiones_a_mano.jsonl) -------------------------
# One JSON object a line: {"request": "pollo, arroz", "must_use": [["pechuga de pollo", ..., "pollo"],
# [...]], "must_not": ["nata"], "diet": ["sin lactosa"], "kind": "list"}. A must_use group is one
# thing the cook asked for, written as the names that count for it (catalogue names and the
# cook's own word); must_not lists what the request excludes ("sin cebolla"). Fields such as
# `counts`, `state` and `dish` describe the request further and are not scored yet.
HAND_KINDS = {row["kind"]: row["label"] for row in read_table("hand_kinds.csv")}  # `kind` -> how the table names it


def _strings(value):
    return isinstance(value, list) and all(isinstance(s, str) and s.strip() for s in value)


def read_hand_requests(path):
    """The hand-written requests, checked; a bad one raises ChefError naming file and request."""
    path = Path(path)
    if not path.is_file():
        raise ChefError(f"no existe el fichero de peticiones a mano {path} (o usa --no-hand)")
    rows = read_jsonl(path, required=("request", "kind"))
    for n, row in enumerate(rows, 1):
        groups = row.get("must_use")
        if not isinstance(groups, list) or not all(_strings(g) and g for g in groups):
            raise ChefError(f"{path}: petición {n}: 'must_use' debe ser una lista de listas de nombres")
        if not _strings(row.setdefault("must_not", [])):
            raise ChefError(f"{path}: petición {n}: 'must_not' debe ser una lista de nombres")
        if not _strings(row.setdefault("diet", [])) or not set(row["diet"]) <= set(DIETS):
            raise ChefError(f"{path}: petición {n}: 'diet' solo admite {', '.join(DIETS)}")
    return rows


def hand_sample(rows, num):
    """A fixed quick-look sample of about num requests: the first ceil(num / kinds) of each kind, in file order."""
    per_kind, taken, sample = -(-num // len({r["kind"] for r in rows})), Counter(), []
    for r in rows:
        taken[r["kind"]] += 1
        if taken[r["kind"]] <= per_kind:
            sample.append(r)
    return sample


# --- The model: Hugging Face folder or GGUF, behind the same few methods -----
class HFModel:
    """A model folder of train_from_scratch.py, decoded in left-padded batches."""

    def __init__(self, model, tokenizer, device, name):
        self.model, self.tokenizer, self.device, self.name = model, tokenizer, device, name
        self.eos_id, self.pad_id = model.config.eos_token_id, model.config.pad_token_id
        self.vocab_size, self.context = model.config.vocab_size, model.config.max_position_embeddings
        self.fixed_shape = model.device.type != "cpu"  # on CPU the chat's loop measured faster: ended rows leave

    @classmethod
    def load(cls, model_dir, device):
        model, tokenizer = load_model(model_dir, device=device)
        return cls(model, tokenizer, device, f"{MODEL_NAME} ({Path(model_dir).name})")

    def encode(self, text):
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def decode(self, ids):
        return self.tokenizer.decode(ids, skip_special_tokens=True)

    def prompt_ids(self, instruction, response=None):
        """Token ids of the chat template for a request (and its answer, when given)."""
        return render_prompt(self.tokenizer, instruction, response)

    def response_nll(self, examples, progress):
        """[(summed nll, n tokens)] of each (prompt_ids, response_ids), in batches."""
        import torch

        results = []
        for start in range(0, len(examples), LOSS_BATCH_SIZE):
            batch = examples[start:start + LOSS_BATCH_SIZE]
            width = max(len(p) + len(r) for p, r in batch)
            ids = torch.full((len(batch), width), self.pad_id, dtype=torch.long)
            for row, (p, r) in enumerate(batch):
                ids[row, :len(p) + len(r)] = torch.tensor(p + r)
            # Right padding needs no attention mask: causal attention never lets a real token see a pad.
            with torch.inference_mode():
                logits = self.model(input_ids=ids.to(self.device)).logits
                for row, (p, r) in enumerate(batch):
                    # the logits at position t predict token t + 1: the prompt's last one predicts r[0]
                    scores = logits[row, len(p) - 1:len(p) + len(r) - 1].float()
                    target = torch.tensor(r, device=scores.device)
                    nll = torch.nn.functional.cross_entropy(scores, target, reduction="sum").item()
                    results.append((nll, len(r)))
            progress.update(len(batch))
        return results

    def generate(self, prompts, settings, batch_size, seed, progress=None):
        """[(new token ids, reached_end)] for each prompt (a list of ids), batch by batch.

        Prompts are sorted by length so a batch holds similar lengths (little left padding). Greedy
        batches on a GPU run chef.decoding.decode_greedy (fixed shape: no step waits on the host),
        the others the chat's loop, chef.decoding.decode; both write the chat's tokens.
        """
        import torch

        generator = torch.Generator().manual_seed(seed)  # sampling runs on CPU, as in the chat
        sampling = {key: settings[key] for key in ("max_new_tokens", "temperature", "top_k", "top_p")}
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        outputs = {i: [] for i in range(len(prompts))}
        for start in range(0, len(order), batch_size):
            chunk = order[start:start + batch_size]
            batch = [prompts[i] for i in chunk]
            if self.fixed_shape and settings["temperature"] <= 0:
                outputs.update(zip(chunk, decode_greedy(self.model, batch, settings["max_new_tokens"], self.eos_id)))
            else:
                for step in decode(self.model, batch, **sampling, eos_token_id=self.eos_id, generator=generator):
                    for row, token in step.items():
                        outputs[chunk[row]].append(token)
            if progress is not None:
                progress.update(len(chunk))
        return [(tokens, bool(tokens) and tokens[-1] == self.eos_id) for tokens in outputs.values()]


def check_gguf(path):
    path = Path(path)
    if not path.is_file():
        raise ChefError(f"no existe el fichero GGUF {path} (créalo con: python convert_to_gguf.py)")
    return path


class GGUFModel:
    """A GGUF file through llama-cpp-python: same methods as HFModel, one request at a time."""

    def __init__(self, path):
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        path = check_gguf(path)
        try:
            from llama_cpp import Llama
        except ImportError:
            raise ChefError("--gguf necesita llama-cpp-python (pip install llama-cpp-python)") from None
        try:
            # n_ctx=0: the context the model was trained with; logits_all for the loss.
            self.llm = Llama(str(path), n_ctx=0, n_batch=4096, logits_all=True, verbose=False)
        except Exception as err:  # noqa: BLE001 - llama.cpp reports a bad file in many ways
            raise ChefError(f"no puedo cargar el GGUF {path}: {str(err).splitlines()[0] if str(err) else err}") from None
        self.context = self.llm.n_ctx()
        self.eos_id = self.llm.token_eos()
        self.vocab_size = self.llm.n_vocab()
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ChefError(f"el GGUF {path} no trae plantilla de chat (tokenizer.chat_template)")
        self.template = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True).from_string(template)
        self.name = f"{MODEL_NAME} (GGUF {path.name})"

    def encode(self, text):
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def decode(self, ids):
        return self.llm.detokenize([i for i in ids if i != self.eos_id]).decode("utf-8", errors="replace")

    def prompt_ids(self, instruction, response=None):
        """Token ids of the GGUF's own chat template, rendered as llama.cpp's Jinja would."""
        messages = [{"role": "user", "content": instruction}]
        if response is not None:
            messages.append({"role": "assistant", "content": response})
        return self.encode(self.template.render(messages=messages, add_generation_prompt=response is None))

    def response_nll(self, examples, progress):
        results = []
        for p, r in examples:
            self.llm.reset()
            self.llm.eval(p + r)
            logits = np.asarray(self.llm.scores[len(p) - 1:len(p) + len(r) - 1], dtype=np.float64)
            logz = np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(-1)) + logits.max(-1)
            results.append((float((logz - logits[np.arange(len(r)), r]).sum()), len(r)))
            progress.update(1)
        return results

    def generate(self, prompts, settings, batch_size, seed, progress=None):
        results = []
        for p in prompts:
            limit, out = cap_new_tokens(settings["max_new_tokens"], self.context, len(p)), []
            self.llm.set_seed(seed)
            for t in self.llm.generate(p, temp=settings["temperature"], top_k=settings["top_k"],
                                       top_p=settings["top_p"], min_p=0.0, repeat_penalty=1.0, reset=True):
                out.append(t)
                if t == self.eos_id or len(out) >= limit:
                    break
            results.append((out, bool(out) and out[-1] == self.eos_id))
            if progress is not None:
                progress.update(1)
        return results


# --- The stages of evaluate.py -----------------------------------------------
def progress_bar(total, desc):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="receta", file=sys.stderr, mininterval=1.0, dynamic_ncols=True)


def reference_examples(model, requests):
    """(prompt ids, reference answer ids) of each request; the answer ends with the end token.

    The prompt must tokenize as a prefix of the whole example, or the loss would read the wrong tokens.
    """
    if model.prompt_ids("x") != model.encode(format_prompt("x")):
        print("aviso: la plantilla de chat del modelo no da el formato de entrenamiento", file=sys.stderr)
    examples = []
    for r in requests:
        prompt, full = model.prompt_ids(r["instruction"]), model.prompt_ids(r["instruction"], r["response"])
        if full[:len(prompt)] != prompt or full[-1] != model.eos_id:
            raise ChefError("la plantilla de chat no tokeniza la petición como prefijo del ejemplo completo")
        examples.append((prompt, full[len(prompt):]))
    return examples


def generate_answers(model, prompts, settings, batch_size, seed, desc):
    """[(new token ids, reached_end)] of each prompt, max_new_tokens cut to the context."""
    longest = max(map(len, prompts))
    settings = dict(settings, max_new_tokens=cap_new_tokens(settings["max_new_tokens"], model.context, longest))
    with progress_bar(len(prompts), desc) as bar:
        return model.generate(prompts, settings, batch_size, seed, bar)


def ngram_baseline(model, rows, examples, settings, order, seed):
    """A Kneser-Ney n-gram model trained on the training file, over the model's tokens:
    ([(summed nll, n tokens)] of the reference answers, [(new token ids, reached_end)])."""
    import torch

    t0 = time.time()
    train_ids = [model.prompt_ids(r["instruction"], r["response"]) for r in rows]
    ngram = KneserNeyLM(train_ids, model.vocab_size, order, model.eos_id)
    print(f"n-gramas: orden {order} entrenado en {time.time() - t0:.1f} s", file=sys.stderr)
    generator = torch.Generator().manual_seed(seed)  # sampled like the chat, by sample_next
    losses, answers = [], []
    with progress_bar(len(examples), "n-gramas") as bar:
        for p, r in examples:
            losses.append((ngram.nll(r, p), len(r)))
            answers.append(ngram.generate(p, settings["max_new_tokens"], model.eos_id, settings["temperature"],
                                          settings["top_k"], settings["top_p"], generator))
            bar.update(1)
    return losses, answers


def score_systems(requests, answers, losses, training_texts):
    """Every answer scored ({system: [scores]}) and each system's averages ({system: summary}).

    answers: {system: [(text, reached_end, n_tokens)]}; losses: {system: [(nll, n tokens)]}.
    """
    copy_index = CopyIndex(training_texts)
    scored = {k: [] for k in SYSTEMS}
    with progress_bar(len(requests) * len(SYSTEMS), "puntuando") as bar:
        for system in SYSTEMS:
            for request, (text, ended, n_tokens) in zip(requests, answers[system]):
                s = score_answer(text, request, INGREDIENTS, violates, copy_index)
                scored[system].append(dict(s, reached_end=ended, tokens=n_tokens))
                bar.update(1)
    summaries = {k: summarize(scored[k], [t for t, _, _ in answers[k]], losses.get(k)) for k in SYSTEMS}
    return scored, summaries


def answer_hand(model, hand_requests, settings, batch_size, seed):
    """The model's answers to the hand-written requests, scored: {"requests": one JSON record
    per request, its answer and scores; "summary": summarize_hand's totals}."""
    prompts = [model.prompt_ids(r["request"]) for r in hand_requests]
    outputs = generate_answers(model, prompts, settings, batch_size, seed, "generando (a mano)")
    texts = [model.decode(ids) for ids, _ in outputs]
    scored = [dict(score_hand_answer(text, r, INGREDIENTS, violates), reached_end=ended, tokens=len(ids))
              for r, text, (ids, ended) in zip(hand_requests, texts, outputs)]
    return {"requests": [{**r, "model": {"text": text, **s}} for r, text, s in zip(hand_requests, texts, scored)],
            "summary": summarize_hand(scored, hand_requests)}


def request_records(requests, retrieved, answers, scored, losses):
    """One JSON record per held-out request: the request, every system's answer and scores, the losses."""
    return [
        {"instruction": r["instruction"], "ingredients": r["ingredients"], "diet": r.get("diet"),
         "reference": r["response"], "retrieved_training_index": i,
         **{k: {"text": answers[k][n][0], **scored[k][n]} for k in SYSTEMS},
         "loss": {k: losses[k][n][0] / losses[k][n][1] for k in ("model", "ngram")}}
        for n, (r, i) in enumerate(zip(requests, retrieved))
    ]
