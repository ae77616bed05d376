"""chef.decoding"""

import inspect

from chef.cli import notice
from chef.prompt import SAMPLING_DEFAULTS

MIN_PROMPT_TOKENS = 16  # context always kept for the request, whatever --max-new-tokens says

# ---------------------------------------------------------------------------
# Sampling and the generation loop (importable: evaluation, tests and the benchmark use them)
# ---------------------------------------------------------------------------


def sample_next(logits, temperature=0.0, top_k=0, top_p=1.0, repetition_penalty=1.0, seen=None, generator=None):
    """Pick the next token id from one row of float logits (modified in place).

    The order is HF's: repetition penalty on the `seen` ids, then temperature, top-k and
    top-p. temperature 0 is greedy; top_k 0 and top_p 1 switch those filters off.
    """
    if repetition_penalty != 1.0 and seen is not None:
        prev = logits[seen]
        logits[seen] = (prev / repetition_penalty).where(prev > 0, prev * repetition_penalty)
    if temperature <= 0:
        return int(logits.argmax())
    # Both filters work on the candidates sorted by score, so sort (or take the top k) once.
    if 0 < top_k < logits.numel():
        scores, index = logits.topk(top_k)
    else:
        scores, index = logits.sort(descending=True)
    probs = (scores / temperature).softmax(dim=-1)
    if top_p < 1.0:
        # Keep the smallest head whose mass reaches top_p (the best token always stays).
        probs = probs * (probs.cumsum(-1) - probs < top_p)
    choice = probs.multinomial(1, generator=generator)  # normalises by itself
    return int(index[choice])


def _cache_keyword(model):
    """transformers 5.24 calls the KV-cache argument `cache`; earlier 5.x `past_key_values`."""
    params = inspect.signature(model.forward).parameters
    return "cache" if "cache" in params else "past_key_values"


def decode(
    model,
    prompts,
    max_new_tokens=SAMPLING_DEFAULTS["max_new_tokens"],
    temperature=0.0,
    top_k=0,
    top_p=1.0,
    repetition_penalty=1.0,
    eos_token_id=None,
    generator=None,
    on_logits=None,
):
    """The one decode loop: yield, step by step, {prompt index: new token id} of the prompts
    still running, for a batch of prompts (lists of ids) decoded together over the KV cache.

    Prompts are padded on the left; a prompt leaves the batch after its eos_token_id (which
    is yielded, as HF generate keeps it). Every prompt stops after max_new_tokens, or when the
    longest one fills the model's context. eos_token_id=None never stops early (the benchmark
    uses it). Sampling runs on CPU in float32, row by row with one generator, so a seeded
    torch.Generator gives the same tokens on every device. on_logits(logits), when given, sees
    each step's last-position logits (one row per running prompt) before sampling (tests).
    """
    import torch
    from transformers import DynamicCache

    prompts = [[int(i) for i in p] for p in prompts]
    context, width = model.config.max_position_embeddings, max(map(len, prompts))
    if min(map(len, prompts)) == 0 or width >= context:
        raise ValueError(f"each prompt must have 1 to {context - 1} tokens, not {min(map(len, prompts))} to {width}")
    device = model.device
    ids = torch.full((len(prompts), width), model.config.pad_token_id or 0)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, p in enumerate(prompts):
        ids[row, width - len(p):], mask[row, width - len(p):] = torch.tensor(p), 1
    padded = not bool(mask.all())  # a lone prompt needs no mask: the model counts its positions
    position = (mask.cumsum(-1) - 1).clamp(min=0)  # GPT-2 positions start at each prompt's first token
    seen = None
    if repetition_penalty != 1.0:
        seen = torch.zeros((len(prompts), model.config.vocab_size), dtype=torch.bool)
        for row, p in enumerate(prompts):
            seen[row, p] = True
    cache = DynamicCache(config=model.config)
    kwargs = {_cache_keyword(model): cache, "use_cache": True, "logits_to_keep": 1}  # cache filled in place
    alive = list(range(len(prompts)))  # batch row -> prompt index
    step_ids = ids.to(device)
    with torch.inference_mode():
        for _ in range(min(max_new_tokens, context - width)):
            if padded:
                kwargs.update(attention_mask=mask.to(device), position_ids=position.to(device))
            logits = model(input_ids=step_ids, **kwargs).logits[:, -1]
            if on_logits is not None:
                on_logits(logits)
            if temperature <= 0 and seen is None:  # greedy: no copy of the logits to the CPU
                tokens = logits.argmax(-1).tolist()
            else:
                rows = logits.float().cpu()
                tokens = [sample_next(rows[j], temperature, top_k, top_p, repetition_penalty,
                                      None if seen is None else seen[j], generator) for j in range(len(alive))]
            yield dict(zip(alive, tokens))
            keep = [j for j, t in enumerate(tokens) if t != eos_token_id]
            if not keep:
                return
            if len(keep) < len(alive):  # finished prompts leave the batch and its cache
                index = torch.tensor(keep)
                cache.batch_select_indices(index.to(device))
                alive, tokens = [alive[j] for j in keep], [tokens[j] for j in keep]
                mask, position = mask[index], position[index]
                seen = None if seen is None else seen[index]
            if seen is not None:
                seen[torch.arange(len(tokens)), tokens] = True
            step_ids = torch.tensor(tokens, device=device)[:, None]
            if padded:
                mask = torch.cat([mask, mask.new_ones((len(alive), 1))], dim=1)
                position = position[:, -1:] + 1


def generate_tokens(model, prompt_ids, max_new_tokens=SAMPLING_DEFAULTS["max_new_tokens"], **settings):
    """Yield new token ids one by one for one prompt: decode() with a batch of one.

    settings: decode's sampling settings, eos_token_id and generator.
    """
    for step in decode(model, [prompt_ids], max_new_tokens, **settings):
        yield step[0]


class TextStream:
    """Turns token ids into printable text, releasing each piece as soon as it is complete.

    A byte-level token may hold half of an "ñ": text is released only when it no longer
    ends in a broken character. Special tokens (the end token) are not printed.
    """

    def __init__(self, tokenizer):
        self.tokenizer = tokenizer
        self.ids, self.prefix, self.read = [], 0, 0  # ids[prefix:read] is text already released

    def _decode(self, ids):
        return self.tokenizer.decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)

    def push(self, token):
        """The new printable text after one more token ("" while a character is incomplete)."""
        self.ids.append(token)
        done = self._decode(self.ids[self.prefix:self.read])
        text = self._decode(self.ids[self.prefix:])
        if len(text) <= len(done) or text.endswith("\ufffd"):
            return ""
        self.prefix, self.read = self.read, len(self.ids)
        return text[len(done):]

    def flush(self):
        """Whatever is left at the end, broken characters included."""
        return self._decode(self.ids[self.prefix:])[len(self._decode(self.ids[self.prefix:self.read])):]


def stream_text(tokenizer, token_ids):
    """Yield the printable text pieces of an iterator of token ids."""
    stream = TextStream(tokenizer)
    for token in token_ids:
        piece = stream.push(token)
        if piece:
            yield piece
    rest = stream.flush()
    if rest:
        yield rest


def fit_to_context(max_new_tokens, context):
    """max_new_tokens, reduced if needed so a request of MIN_PROMPT_TOKENS still fits."""
    room = context - min(MIN_PROMPT_TOKENS, context // 2)
    if max_new_tokens > room:
        notice(f"aviso: {max_new_tokens} tokens nuevos no caben en el contexto del modelo "
               f"({context} tokens); la receta tendrá como mucho {room}.")
        return room
    return max_new_tokens
