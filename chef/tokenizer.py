"""The tokenizer, trained from scratch: byte-level BPE with our special tokens and chat template.

Used by train_from_scratch.py (get_tokenizer), bench/bench_train.py and the tests. The format
itself (tokens, template) is chef.prompt's; this module only trains and wraps the BPE.
"""

import json
import shutil
import time
from pathlib import Path

from chef.cli import ChefError
from chef.files import atomic_write_text
from chef.prompt import ASSISTANT_TOKEN, CHAT_TEMPLATE, EOS_TOKEN, PAD_TOKEN, SPECIAL_TOKENS, USER_TOKEN
from chef.training import PRESETS


def train_tokenizer(texts, vocab_size, model_max_length):
    """Byte-level BPE from scratch, set up so llama.cpp's `gpt-2` pre-tokenizer matches it exactly, as a
    transformers tokenizer carrying our special tokens and chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, show_progress=False,
        special_tokens=SPECIAL_TOKENS,  # ids 0..3, fixed order
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # all 256 bytes: any text encodes
    )
    tok.train_from_iterator(texts, trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOS_TOKEN, eos_token=EOS_TOKEN, pad_token=PAD_TOKEN,
        additional_special_tokens=[USER_TOKEN, ASSISTANT_TOKEN], model_max_length=model_max_length,
        chat_template=CHAT_TEMPLATE,
        clean_up_tokenization_spaces=False,  # decode must give back the exact text
    )


def tokenizer_texts(rows):
    return [t for r in rows for t in (r["instruction"], r["response"])]


def get_tokenizer(args, targs, train_rows, data_sha, log=print):
    """Train the tokenizer (main process first; the others and --resume load its saved copy)."""
    from transformers import AutoTokenizer

    work_dir = Path(args.work_dir)
    tok_dir = work_dir / "tokenizer"
    is_main = targs.process_index == 0
    with targs.main_process_first(desc="tokenizer"):
        meta_file = tok_dir / "chef_meta.json"
        meta = json.loads(meta_file.read_text()) if meta_file.is_file() else None
        vocab_size = PRESETS[args.preset]["vocab_size"]
        wanted = {"data_sha256": data_sha, "vocab_size": vocab_size, "seed": args.seed, "max_examples": args.max_examples}
        if args.resume and meta != wanted:
            raise ChefError(f"--resume: {work_dir} se entrenó con otros datos o ajustes; empieza sin --resume")
        if meta == wanted and (args.resume or not is_main):
            return AutoTokenizer.from_pretrained(tok_dir)
        t0 = time.time()
        texts = tokenizer_texts(train_rows)
        tokenizer = train_tokenizer(texts, vocab_size, model_max_length=1 << 30)
        for text in texts[:200] + ["¿Qué tal?  ¡Añade 2½ tazas de piñones!\n\tÑandú"]:  # encode -> decode is exact
            back = tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"])
            if back != text:
                raise ChefError(f"el tokenizador no devuelve el mismo texto: {text[:60]!r} -> {back[:60]!r}")
        if is_main:
            if not args.resume and work_dir.exists():
                shutil.rmtree(work_dir)  # a fresh run starts from an empty work folder
            tokenizer.save_pretrained(tok_dir)
            atomic_write_text(meta_file, json.dumps(wanted))
        log(f"tokenizador: BPE de {len(tokenizer)} tokens entrenado en {time.time() - t0:.1f} s")
        return tokenizer
