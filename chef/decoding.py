"""The decode loop and its sampler: prompts answered token by token over the KV cache.

Used by the chat (chef.chat), the evaluation, training's greedy sample, the tests and the
benchmark, so they all write the same recipe for the same request; greedy evaluation runs the
same steps in one fixed-shape batch (decode_greedy). torch and transformers are imported inside
the functions: importing this module stays light.
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
    """Prompts decoded together: their KV cache, attention mask, positions and, for the repetition
    penalty, the token ids each one has seen. The mask has a column for each of the `steps` tokens
    to come (max_new_tokens, cut to the context), switched on as it comes, so that a static cache
    keeps one shape from start to end."""

    def __init__(self, model, prompts, max_new_tokens, track_seen=False, static=False):
        import torch
        from transformers import DynamicCache, StaticCache

        self.model, self.device, config = model, model.device, model.config
        prompts, n, context = [[int(i) for i in p] for p in prompts], len(prompts), config.max_position_embeddings
        self.column = width = max(map(len, prompts))  # padded on the left: every prompt ends at the last column
        if min(map(len, prompts)) == 0 or width >= context:
            raise ValueError(f"each prompt must have 1 to {context - 1} tokens, not {min(map(len, prompts))} to {width}")
        self.steps = steps = cap_new_tokens(max_new_tokens, context, width)
        ids = torch.full((n, width), config.pad_token_id or 0)
        mask = torch.zeros((n, width + steps), dtype=torch.long)
        self.seen = torch.zeros((n, config.vocab_size), dtype=torch.bool) if track_seen else None
        for row, p in enumerate(prompts):
            ids[row, width - len(p):], mask[row, width - len(p):width] = torch.tensor(p), 1
            if track_seen:
                self.seen[row, p] = True
        self.padded = static or not bool(mask[:, :width].all())  # a mask for padding or a static cache's empty slots
        position = (mask[:, :width].cumsum(-1) - 1).clamp(min=0)  # GPT-2 positions start at each prompt's first token
        self.cache = StaticCache(config=config, max_cache_len=width + steps) if static else DynamicCache(config=config)
        # transformers 5.24 calls the KV-cache argument `cache`; earlier 5.x `past_key_values`.
        cache_arg = "cache" if "cache" in inspect.signature(model.forward).parameters else "past_key_values"
        self.kwargs = {cache_arg: self.cache, "use_cache": True, "logits_to_keep": 1}
        self.alive = list(range(n))  # batch row -> prompt index
        self.ids, self.mask, self.position = ids.to(self.device), mask.to(self.device), position.to(self.device)

    def logits(self):
        """One forward pass: the last position's logits, one row per running prompt."""
        if self.padded:
            self.kwargs.update(attention_mask=self.mask, position_ids=self.position)
        return self.model(input_ids=self.ids, **self.kwargs).logits[:, -1]

    def keep(self, rows):
        """Only these rows stay: finished prompts leave the batch and its cache."""
        import torch

        index = torch.tensor(rows, device=self.device)
        self.cache.batch_select_indices(index)
        self.alive = [self.alive[j] for j in rows]
        self.mask, self.position = self.mask[index], self.position[index]
        self.seen = None if self.seen is None else self.seen[index.cpu()]

    def feed(self, tokens):
        """The next forward pass reads one new token per running prompt (a list, or a tensor on the device)."""
        import torch

        if self.seen is not None:
            self.seen[torch.arange(len(tokens)), tokens] = True
        self.ids = torch.as_tensor(tokens, device=self.device)[:, None]
        if self.padded:  # a lone unpadded prompt needs neither: the model counts its positions
            self.mask[:, self.column], self.column = 1, self.column + 1
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

    batch = Batch(model, prompts, max_new_tokens, track_seen=repetition_penalty != 1.0)
    with torch.inference_mode():
        for _ in range(batch.steps):
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


def decode_greedy(model, prompts, max_new_tokens, eos_token_id, check_every=8):
    """decode()'s greedy tokens for each prompt (eos_token_id included) from one fixed-shape batch
    over a static KV cache, for the evaluation on a GPU: a row that ended stays, its next tokens
    forced to eos_token_id, so no step waits on the host but one in check_every, which stops the
    loop once every row has ended."""
    import torch

    batch = Batch(model, prompts, max_new_tokens, static=True)
    out = torch.full((len(prompts), batch.steps), eos_token_id, device=batch.device)
    ended = torch.zeros(len(prompts), dtype=torch.bool, device=batch.device)
    with torch.inference_mode():
        for step in range(batch.steps):
            out[:, step] = tokens = batch.logits().argmax(-1).masked_fill_(ended, eos_token_id)
            ended |= tokens == eos_token_id
            if step % check_every == check_every - 1 and bool(ended.all()):
                break
            batch.feed(tokens)
    return [row[:row.index(eos_token_id) + 1] if eos_token_id in row else row for row in out.tolist()]


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
