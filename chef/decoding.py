"""The one decode loop and its sampler: prompts answered token by token over the KV cache.

Used by the chat (chef.chat), the evaluation, training's greedy sample, the tests and the
benchmark, so they all write the same recipe for the same request. torch and transformers
are imported inside the functions: importing this module stays light.
"""

import inspect

from chef.prompt import SAMPLING_DEFAULTS

MIN_PROMPT_TOKENS = 16  # context always kept for the request, whatever --max-new-tokens says


def cap_new_tokens(max_new_tokens, context, prompt_tokens):
    """max_new_tokens, cut so that a prompt of prompt_tokens and its answer fit in the context."""
    return min(max_new_tokens, context - prompt_tokens)


def sample_next(logits, temperature=0.0, top_k=0, top_p=1.0, repetition_penalty=1.0, seen=None, generator=None):
    """Pick the next token id from one row of float logits (modified in place), in HF's order:
    repetition penalty on the `seen` ids, then temperature, top-k and top-p. temperature 0 is
    greedy; top_k 0 and top_p 1 switch those filters off."""
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


class Batch:
    """The prompts still running in decode(): their KV cache, attention mask, positions and,
    for the repetition penalty, the token ids each one has seen."""

    def __init__(self, model, prompts, track_seen):
        import torch
        from transformers import DynamicCache

        self.model, self.device = model, model.device
        width = max(map(len, prompts))  # padded on the left, so that every prompt ends at the last column
        ids = torch.full((len(prompts), width), model.config.pad_token_id or 0)
        self.mask = torch.zeros((len(prompts), width), dtype=torch.long)
        self.seen = torch.zeros((len(prompts), model.config.vocab_size), dtype=torch.bool) if track_seen else None
        for row, p in enumerate(prompts):
            ids[row, width - len(p):], self.mask[row, width - len(p):] = torch.tensor(p), 1
            if track_seen:
                self.seen[row, p] = True
        self.padded = not bool(self.mask.all())  # a lone prompt needs no mask: the model counts its positions
        self.position = (self.mask.cumsum(-1) - 1).clamp(min=0)  # GPT-2 positions start at each prompt's first token
        self.cache = DynamicCache(config=model.config)  # filled in place by each forward pass
        # transformers 5.24 calls the KV-cache argument `cache`; earlier 5.x `past_key_values`.
        cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
        self.kwargs = {cache_arg: self.cache, "use_cache": True, "logits_to_keep": 1}
        self.alive = list(range(len(prompts)))  # batch row -> prompt index
        self.ids = ids.to(self.device)  # what the next forward pass reads

    def logits(self):
        """One forward pass: the last position's logits, one row per running prompt."""
        if self.padded:
            self.kwargs.update(attention_mask=self.mask.to(self.device), position_ids=self.position.to(self.device))
        return self.model(input_ids=self.ids, **self.kwargs).logits[:, -1]

    def keep(self, rows):
        """Only these rows stay: finished prompts leave the batch and its cache."""
        import torch

        index = torch.tensor(rows)
        self.cache.batch_select_indices(index.to(self.device))
        self.alive = [self.alive[j] for j in rows]
        self.mask, self.position = self.mask[index], self.position[index]
        self.seen = None if self.seen is None else self.seen[index]

    def feed(self, tokens):
        """The next forward pass reads one new token per running prompt."""
        import torch

        if self.seen is not None:
            self.seen[torch.arange(len(tokens)), tokens] = True
        self.ids = torch.tensor(tokens, device=self.device)[:, None]
        if self.padded:
            self.mask = torch.cat([self.mask, self.mask.new_ones((len(tokens), 1))], dim=1)
            self.position = self.position[:, -1:] + 1


def pick_tokens(logits, seen, generator, temperature, top_k, top_p, repetition_penalty):
    """One new token id per row of logits: sample_next on CPU in float32, row by row with one
    generator, so that a seeded torch.Generator gives the same tokens on every device."""
    if temperature <= 0 and seen is None:  # greedy: no copy of the logits to the CPU
        return logits.argmax(-1).tolist()
    rows = logits.float().cpu()
    return [sample_next(rows[j], temperature, top_k, top_p, repetition_penalty,
                        None if seen is None else seen[j], generator) for j in range(len(rows))]


def decode(model, prompts, max_new_tokens=SAMPLING_DEFAULTS["max_new_tokens"], temperature=0.0, top_k=0,
           top_p=1.0, repetition_penalty=1.0, eos_token_id=None, generator=None, on_logits=None):
    """The one decode loop: yield, step by step, {prompt index: new token id} of the prompts
    still running, for a batch of prompts (lists of ids) decoded together over the KV cache.

    A prompt leaves the batch after its eos_token_id (which is yielded, as HF generate keeps
    it). Every prompt stops after max_new_tokens, or when the longest one fills the model's
    context. eos_token_id=None never stops early (the benchmark uses it). on_logits(logits),
    when given, sees each step's logits (one row per running prompt) before sampling (tests)."""
    import torch

    prompts = [[int(i) for i in p] for p in prompts]
    context, width = model.config.max_position_embeddings, max(map(len, prompts))
    if min(map(len, prompts)) == 0 or width >= context:
        raise ValueError(f"each prompt must have 1 to {context - 1} tokens, not {min(map(len, prompts))} to {width}")
    batch = Batch(model, prompts, track_seen=repetition_penalty != 1.0)
    with torch.inference_mode():
        for _ in range(cap_new_tokens(max_new_tokens, context, width)):
            logits = batch.logits()
            if on_logits is not None:
                on_logits(logits)
            tokens = pick_tokens(logits, batch.seen, generator, temperature, top_k, top_p, repetition_penalty)
            yield dict(zip(batch.alive, tokens))
            running = [j for j, t in enumerate(tokens) if t != eos_token_id]
            if not running:
                return
            if len(running) < len(tokens):
                batch.keep(running)
            batch.feed([tokens[j] for j in running])


def generate_tokens(model, prompt_ids, max_new_tokens=SAMPLING_DEFAULTS["max_new_tokens"], **settings):
    """Yield new token ids one by one for one prompt: decode() with a batch of one (same settings)."""
    return (step[0] for step in decode(model, [prompt_ids], max_new_tokens, **settings))


class TextStream:
    """Turns token ids into printable text, releasing each piece as soon as it is complete: a
    byte-level token may hold half of an "ñ", so text is released only when it no longer ends in
    a broken character. Special tokens (the end token) are not printed."""

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
