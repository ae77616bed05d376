"""The baselines evaluate.py sets beside the model: a Kneser-Ney n-gram model over the model's
own tokens (chef.evaluation.ngram_baseline) and the nearest training recipe by ingredients.
"""

import math
from collections import Counter, defaultdict


class KneserNeyLM:
    """Interpolated Kneser-Ney n-gram model over token ids.

    P(w | h) = max(c(h w) - D, 0) / c(h) + D N1+(h .) / c(h) * P(w | h minus its first token),
    with continuation counts below the top order and a uniform distribution under the unigrams,
    so every token of the vocabulary gets a probability and each distribution sums to 1.
    Sequences are padded on the left with the end token (the model's BOS as well)."""

    def __init__(self, sequences, vocab_size, order, pad_id):
        self.order, self.vocab_size, self.pad_id = order, vocab_size, pad_id
        top = Counter()
        for seq in sequences:
            padded = [pad_id] * (order - 1) + list(seq)
            top.update(tuple(padded[i:i + order]) for i in range(len(padded) - order + 1))
        counts = {order: top}
        for k in range(order - 1, 0, -1):  # continuation counts: distinct left neighbours
            counts[k] = Counter(g[1:] for g in counts[k + 1])
        self.tables, self.discount = {}, {}
        for k, grams in counts.items():
            n = Counter(grams.values())  # n[1]: grams seen once, n[2]: twice
            self.discount[k] = n[1] / (n[1] + 2 * n[2]) if n[1] + n[2] else 0.5
            table = defaultdict(dict)
            for g, c in grams.items():
                table[g[:-1]][g[-1]] = c
            # per context: (counts of the next token, total, distinct next tokens)
            self.tables[k] = {h: (nxt, sum(nxt.values()), len(nxt)) for h, nxt in table.items()}
        self._vectors = {}

    def _levels(self, history):
        """((order, context), next-token counts, total, distinct next tokens, discount) of each
        order whose context was seen, lowest order first."""
        h = tuple(([self.pad_id] * (self.order - 1) + list(history))[-(self.order - 1):]) if self.order > 1 else ()
        for k in range(1, self.order + 1):
            context = h[len(h) - (k - 1):] if k > 1 else ()
            if context not in self.tables[k]:
                return  # an unseen context: its longer versions are unseen too
            yield (k, context), *self.tables[k][context], self.discount[k]

    def prob(self, token, history):
        """P(token | last order-1 tokens of history)."""
        p = 1.0 / self.vocab_size
        for _, nxt, total, distinct, d in self._levels(history):
            p = max(nxt.get(token, 0) - d, 0) / total + d * distinct / total * p
        return p

    def distribution(self, history):
        """The whole next-token distribution (numpy vector), for generation."""
        import numpy as np

        p = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for key, nxt, total, distinct, d in self._levels(history):
            if key not in self._vectors:
                self._vectors[key] = (np.fromiter(nxt, dtype=np.int64, count=len(nxt)),
                                      np.maximum(np.fromiter(nxt.values(), dtype=float, count=len(nxt)) - d, 0) / total)
            ids, mass = self._vectors[key]
            p = p * (d * distinct / total)
            p[ids] += mass
        return p

    def nll(self, response_ids, prompt_ids):
        """Summed negative log-likelihood (nats) of the response tokens after the prompt."""
        history, total = list(prompt_ids), 0.0
        for t in response_ids:
            total -= math.log(self.prob(t, history))
            history.append(t)
        return total

    def generate(self, prompt_ids, max_new_tokens, eos_id, temperature=0.0, top_k=0, top_p=1.0, generator=None):
        """(new token ids, reached_end); greedy when temperature is 0, else sampled by the chat's
        own sample_next, its log-probabilities standing for the logits (torch.Generator)."""
        import torch

        from chef.decoding import sample_next

        history, out = list(prompt_ids), []
        for _ in range(max_new_tokens):
            scores = torch.from_numpy(self.distribution(history)).log()
            t = sample_next(scores, temperature, top_k, top_p, generator=generator)
            out.append(t)
            if t == eos_id:
                return out, True
            history.append(t)
        return out, False


def nearest_recipe(requested, train_combos):
    """Index of the training recipe sharing the most ingredients with the request; ties go to
    the recipe with fewer ingredients that were not asked for, then to the first."""
    want = set(requested)
    return max(range(len(train_combos)),
               key=lambda i: (len(want & train_combos[i]), -len(train_combos[i] - want), -i))
