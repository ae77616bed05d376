"""The device a run uses, and what it is, for reports: device choice, hardware names, GPU peak
FLOP/s and GPT-2 FLOPs per token (for MFU). Used by training, evaluation, the chat and the
benchmarks; torch is imported inside the functions.
"""

import os

from chef.cli import ChefError


def mps_available() -> bool:
    """Apple's GPU (MPS) is there; torch builds without it lack torch.backends.mps."""
    import torch

    return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())


def pick_device(requested: str = "auto") -> str:
    """'auto' picks CUDA, then MPS, then CPU; anything else is checked and returned."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "mps" if mps_available() else "cpu"
    if requested.startswith("cuda") and not torch.cuda.is_available():
        raise ChefError("se pidió --device cuda pero no hay ninguna GPU CUDA disponible")
    if requested == "mps" and not mps_available():
        raise ChefError("se pidió --device mps pero MPS no está disponible")
    return requested


PEAK_FLOPS = {"H100": 989e12, "H200": 989e12, "A100": 312e12}  # dense bf16 per GPU, for MFU


def hardware_name(device: str = "auto") -> str:
    """What a device is, for reports: 'N x <GPU name>', 'Apple MPS' or 'CPU (machine, cores, threads)'."""
    import platform

    import torch

    device = pick_device(device)
    if device.startswith("cuda"):
        return f"{torch.cuda.device_count()} x {torch.cuda.get_device_name(0)}"
    if device == "mps":
        return "Apple MPS"
    return f"CPU ({platform.processor() or platform.machine()}, {os.cpu_count()} cores, {torch.get_num_threads()} threads)"


def peak_flops():
    """Dense bf16 FLOP/s of one of the GPUs here (None without CUDA or for an unknown GPU)."""
    import torch

    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name(0)
    return next((v for k, v in PEAK_FLOPS.items() if k in name), None)


def flops_per_token(config, seq_len):
    """Training FLOPs per token of a GPT-2 config: 6N for the weights plus attention (PaLM appendix B)."""
    n = config.n_layer * 12 * config.n_embd**2 + config.vocab_size * config.n_embd
    return 6 * n + 12 * config.n_layer * config.n_embd * seq_len
