#!/usr/bin/env bash
# The whole Chef-Bot pipeline, stage by stage, in the memoria's order:
# data -> tokenizer and model (training) -> chat -> GGUF for llama.cpp / LM Studio / Ollama.
# Each stage is one of the top-level scripts (the code they share lives in chef/).
#
#   bash run_all.sh            # full run: needs a GPU (training takes minutes on one H100/H200);
#                              # replaces chef-bot-scratch-final/ and chef-bot-scratch.gguf
#   bash run_all.sh --tiny     # CPU smoke run, a few minutes on 2 cores: the tiny preset into
#   TINY=1 bash run_all.sh     # chef-bot-scratch-tiny/ (never touches chef-bot-scratch-final/)
#
# Every output is ignored by git (runs/, chef-bot-scratch-tiny*/, *.gguf, Modelfile,
# eval_generations*.json) except, in the full run, the regenerated recetas_extended.jsonl (the
# same bytes on every run) and the new chef-bot-scratch-final/.
#
# To compare training variants on a GPU lent for a few minutes, see bench/gpu_call.py (one call:
# benchmark, trainings, evaluations, one table, the best model; --dry-run proves it on CPU).
set -euo pipefail
cd "$(dirname "$0")"

TINY="${TINY:-0}"
for arg in "$@"; do
    case "$arg" in
        --tiny) TINY=1 ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "error: argumento desconocido: $arg (uso: bash run_all.sh [--tiny])" >&2; exit 2 ;;
    esac
done
PYTHON="${PYTHON:-python}"
REQUEST="pollo, arroz, pimiento"  # the chat's one-shot request, typed as a cook would

if [ "$TINY" = 1 ]; then
    DATA=runs/recetas_extended.jsonl              # a copy, so the committed file is never rewritten
    MODEL=chef-bot-scratch-tiny
    GGUF=chef-bot-scratch-tiny/chef-bot-scratch-tiny.gguf  # its Modelfile goes next to it, not over the full one's
    PRESET=tiny                                   # 2 layers, 64 dims, 240 recipes, CPU
    CHAT_FLAGS="--max-new-tokens 120"             # a toy writes a toy recipe: the start is enough
else
    DATA=recetas_extended.jsonl
    MODEL=chef-bot-scratch-final
    GGUF=chef-bot-scratch.gguf
    PRESET=full                                   # 6 layers, 8 heads, 512 dims, 100 epochs
    CHAT_FLAGS=""                                 # the model's own generation_config.json
fi

# The full run trains on a GPU (stage 2): without one, stop before anything is written.
if [ "$TINY" != 1 ]; then
    if ! "$PYTHON" -c "import sys, torch; sys.exit(not (torch.cuda.is_available() or torch.backends.mps.is_available()))"; then
        echo "error: el entrenamiento completo necesita una GPU (CUDA o MPS); en CPU prueba: bash run_all.sh --tiny" >&2
        exit 1
    fi
fi

stage() { echo; echo "=== $* ($(date +%H:%M:%S))"; }
START=$SECONDS

# -----------------------------------------------------------------------------
# 1. Data: 5,000 synthetic instruction -> recipe examples (byte-identical for a seed)
stage "1/4 datos: generate_dataset.py -> $DATA"
mkdir -p "$(dirname "$DATA")"
"$PYTHON" generate_dataset.py --output "$DATA"

# -----------------------------------------------------------------------------
# 2. Training: our own BPE tokenizer and a randomly initialised GPT-2.
#    GPU STEP: the full run (6 layers, 512 dims, 100 epochs) needs CUDA (or Apple MPS); on a
#    CPU it would take many hours, so the check at the top stops it before anything is written.
stage "2/4 entrenamiento: train_from_scratch.py --preset $PRESET -> $MODEL/"
"$PYTHON" train_from_scratch.py --preset "$PRESET" --data "$DATA" --output-dir "$MODEL"

# -----------------------------------------------------------------------------
# 3. Chat: one recipe, greedy, from the model just trained (drop -p for the interactive chat)
stage "3/4 chat: inference_scratch.py -p \"$REQUEST\""
"$PYTHON" inference_scratch.py --model "$MODEL" --temperature 0 $CHAT_FLAGS -p "$REQUEST"

# -----------------------------------------------------------------------------
# 4. GGUF: one file for llama.cpp, LM Studio and Ollama (f16; numpy and gguf only)
stage "4/4 GGUF: convert_to_gguf.py -> $GGUF"
"$PYTHON" convert_to_gguf.py --model "$MODEL" --output "$GGUF"

# -----------------------------------------------------------------------------
# Full run only: measure the new model on held-out and hand-written requests and write the
# tables into its model card (the tiny model would only show that a toy model is weak).
if [ "$TINY" != 1 ]; then
    stage "evaluación: evaluate.py --card"
    "$PYTHON" evaluate.py --model "$MODEL" --card
fi

# -----------------------------------------------------------------------------
stage "hecho en $((SECONDS - START)) s"
du -sh "$DATA" "$MODEL"
du -sh "$GGUF"  # on its own: the tiny one lies inside the model folder
