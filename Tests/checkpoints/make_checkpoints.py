#!/usr/bin/env python3
"""Writes small training checkpoints with CPython's own pickler, laid out as torch.save writes them.

No PyTorch is needed: tensors and storages are stand-ins whose pickled form is exactly torch's
(`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())`
with the storage as persistent id `('storage', torch.FloatStorage, key, 'cpu', numel)`), pickle
protocol 2 as `torch.save` uses by default, the zip layout `<archive>/data.pkl`, `data/<key>`,
`byteorder`, `version`, and the legacy stream format. Everything else is real: `argparse.Namespace`,
`collections.OrderedDict` with `_metadata`, `pathlib.PosixPath`, a numpy float64 metric.

The checkpoint is timm's `CheckpointSaver` layout as Spikformer's `cifar10/train.py` writes it
(`epoch`, `arch`, `state_dict`, `optimizer`, `version`, `args`, `metric`, `state_dict_ema`,
`amp_scaler`), for a Spikformer with embed_dims 16, 2 heads, 1 block, T 4 (small enough to commit).
The EMA is FP16 under DataParallel's `module.` prefix. Reference safetensors files hold the same
values as float32 (the EMA's widened from FP16).

Usage: python3 make_checkpoints.py [OUT_DIR]   (needs numpy; default OUT_DIR: this folder)
"""
import argparse
import collections
import io
import json
import pathlib
import pickle
import random
import struct
import sys
import types
import zipfile

import numpy as np

# --- stand-ins pickled under torch's names -------------------------------------------------------
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, torch_utils


class FloatStorage:  # pickled by reference as torch.FloatStorage
    pass


class HalfStorage:
    pass


class LongStorage:
    pass


for cls in (FloatStorage, HalfStorage, LongStorage):
    cls.__module__ = "torch"
    setattr(torch, cls.__name__, cls)


def _rebuild_tensor_v2(*args):  # never called here; only its name is pickled
    raise RuntimeError("stand-in")


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
torch._utils = torch_utils

FORMATS = {"float32": (FloatStorage, "<f"), "float16": (HalfStorage, "<e"), "int64": (LongStorage, "<q")}


class Storage:
    def __init__(self, key, dtype, values):
        self.key, self.dtype, self.values = key, dtype, values

    def raw(self):
        fmt = FORMATS[self.dtype][1]
        return b"".join(struct.pack(fmt, v) for v in self.values)


class Tensor:
    def __init__(self, shape, values, dtype, storages):
        self.shape, self.dtype = tuple(shape), dtype
        self.storage = Storage(str(len(storages)), dtype, values)
        storages.append(self.storage)

    def __reduce_ex__(self, protocol):
        stride, acc = [], 1
        for n in reversed(self.shape):
            stride.insert(0, acc)
            acc *= n
        return (_rebuild_tensor_v2, (self.storage, 0, self.shape, tuple(stride), False, collections.OrderedDict()))


class Pickler(pickle.Pickler):
    def __init__(self, f, legacy):
        super().__init__(f, protocol=2)
        self.legacy = legacy

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            pid = ("storage", FORMATS[obj.dtype][0], obj.key, "cpu", len(obj.values))
            return pid + (None,) if self.legacy else pid
        return None


def save_zip(obj, storages, path, archive):
    buf = io.BytesIO()
    Pickler(buf, legacy=False).dump(obj)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{archive}/data.pkl", buf.getvalue())
        z.writestr(f"{archive}/byteorder", "little")
        for s in storages:
            z.writestr(f"{archive}/data/{s.key}", s.raw())
        z.writestr(f"{archive}/version", "3\n")


def save_legacy(obj, storages, path):
    out = io.BytesIO()
    for head in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                                "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(head, out, protocol=2)
    Pickler(out, legacy=True).dump(obj)
    pickle.dump([s.key for s in storages], out, protocol=2)
    for s in storages:
        out.write(struct.pack("<q", len(s.values)))
        out.write(s.raw())
    pathlib.Path(path).write_bytes(out.getvalue())


def save_safetensors(pairs, path, metadata):
    header, data = {"__metadata__": metadata}, b""
    for k, shape, values in pairs:
        raw = b"".join(struct.pack("<f", v) for v in values)
        header[k] = {"dtype": "F32", "shape": list(shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(h)) + h + data)


# --- the model: Spikformer CIFAR, embed 16, 2 heads, 1 block, mlp 4 --------------------------------
D, HEADS, DEPTH, MLP, T, CLASSES = 16, 2, 1, 4, 4, 10


def spikformer_keys():
    keys = []
    def conv(name, shape, bias=False):
        keys.append((f"{name}.weight", shape))
        if bias:
            keys.append((f"{name}.bias", shape[:1]))
    def bn(name, c):
        keys.extend([(f"{name}.weight", (c,)), (f"{name}.bias", (c,)), (f"{name}.running_mean", (c,)),
                     (f"{name}.running_var", (c,)), (f"{name}.num_batches_tracked", ())])
    widths = [3, D // 8, D // 4, D // 2, D]
    for i in range(4):
        suffix = "" if i == 0 else str(i)
        conv(f"patch_embed.proj_conv{suffix}", (widths[i + 1], widths[i], 3, 3))
        bn(f"patch_embed.proj_bn{suffix}", widths[i + 1])
    conv("patch_embed.rpe_conv", (D, D, 3, 3))
    bn("patch_embed.rpe_bn", D)
    for b in range(DEPTH):
        for n in ("q", "k", "v"):
            conv(f"block.{b}.attn.{n}_linear", (D, D), bias=True)
            bn(f"block.{b}.attn.{n}_bn", D)
        conv(f"block.{b}.attn.proj_linear", (D, D), bias=True)
        bn(f"block.{b}.attn.proj_bn", D)
        keys.extend([(f"block.{b}.norm1.weight", (D,)), (f"block.{b}.norm1.bias", (D,))])
        keys.extend([(f"block.{b}.norm2.weight", (D,)), (f"block.{b}.norm2.bias", (D,))])
        conv(f"block.{b}.mlp.fc1_linear", (D * MLP, D), bias=True)
        bn(f"block.{b}.mlp.fc1_bn", D * MLP)
        conv(f"block.{b}.mlp.fc2_linear", (D, D * MLP), bias=True)
        bn(f"block.{b}.mlp.fc2_bn", D)
    keys.extend([("head.weight", (CLASSES, D)), ("head.bias", (CLASSES,))])
    return keys


def values_for(key, shape, rng):
    n = 1
    for s in shape:
        n *= s
    if key.endswith("num_batches_tracked"):
        return [300]
    if key.endswith("running_var"):
        return [rng.uniform(0.5, 1.5) for _ in range(n)]
    if key.endswith("running_mean") or (key.endswith(".bias") and "norm" not in key):
        return [rng.uniform(-0.2, 0.2) for _ in range(n)]
    if key.endswith(".weight") and len(shape) == 1:
        return [rng.uniform(0.5, 1.5) for _ in range(n)]
    fan_in = n // shape[0]
    return [rng.gauss(0, 1.5 / fan_in ** 0.5) for _ in range(n)]


def main():
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
    rng = random.Random(12)
    weights = [(k, s, values_for(k, s, rng)) for k, s in spikformer_keys()]
    # The EMA: running_var × 1.3 (differs from the trained weights), stored as FP16.
    ema = [(k, s, [x * 1.3 for x in v] if k.endswith("running_var") else v) for k, s, v in weights]
    half = lambda x: struct.unpack("<e", struct.pack("<e", x))[0]
    ema16 = [(k, s, v if k.endswith("num_batches_tracked") else [half(x) for x in v]) for k, s, v in ema]

    def checkpoint(storages):
        def state_dict(pairs, dtype, prefix=""):
            sd = collections.OrderedDict()
            for k, s, v in pairs:
                sd[prefix + k] = Tensor(s, v, "int64" if k.endswith("num_batches_tracked") else dtype, storages)
            sd._metadata = collections.OrderedDict([("", {"version": 1})])
            return sd
        args = argparse.Namespace(
            epochs=300, time_step=T, layer=DEPTH, dim=D, num_heads=HEADS, patch_size=4, mlp_ratio=MLP,
            data_dir="/home/user/cifar-10-python/", dataset="torch/cifar10", model="spikformer",
            num_classes=CLASSES, img_size=32, mean=(0.4914, 0.4822, 0.4465), std=[0.247, 0.2435, 0.2616],
            amp=True, resume="", lr=5e-4, output=pathlib.PurePosixPath("/home/user/output"), drop_path=None)
        sd = state_dict(weights, "float32")
        first = [(k, s, v) for k, s, v in weights if not k.endswith("num_batches_tracked")][:2]
        optimizer = {"state": {i: {"step": Tensor((), [300.0], "float32", storages),
                                   "exp_avg": Tensor(s, v, "float32", storages),
                                   "exp_avg_sq": Tensor(s, [x * x for x in v], "float32", storages)}
                               for i, (k, s, v) in enumerate(first)},
                     "param_groups": [{"lr": 1e-5, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.06,
                                       "amsgrad": False, "params": list(range(len(first)))}]}
        return {"epoch": 299, "arch": "spikformer", "state_dict": sd, "optimizer": optimizer, "version": 2,
                "args": args, "metric": np.float64(93.41),
                "state_dict_ema": state_dict(ema16, "float16", prefix="module."),
                "amp_scaler": {"scale": 65536.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                               "growth_interval": 2000, "_growth_tracker": 17}}

    storages = []
    save_zip(checkpoint(storages), storages, out / "spikformer_d16_model_best.pth.tar", "model_best.pth")
    storages = []
    save_legacy(checkpoint(storages), storages, out / "spikformer_d16_legacy.pth")
    meta = {"generator": "Tests/checkpoints/make_checkpoints.py", "numpy": np.__version__,
            "python": sys.version.split()[0]}
    save_safetensors(weights, out / "spikformer_d16.safetensors", meta)
    save_safetensors(ema16, out / "spikformer_d16_ema16.safetensors", meta)


if __name__ == "__main__":
    main()
