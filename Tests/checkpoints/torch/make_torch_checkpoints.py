# Writes training checkpoints the way the public training scripts do (timm CheckpointSaver), from
# the shared spikformer_tiny state_dict and the trained RTFormer tiny. Needs torch, timm, safetensors
# (run once with torch 2.11 + timm 1.0.29; the files beside this script are its output):
#   python3 make_torch_checkpoints.py SPIKFORMER_STATE_DICT.pth DIGITS_TINY.safetensors OUT_DIR
import argparse, os, sys, pickle, collections, io
import numpy as np, torch, torch.nn as nn
from safetensors.torch import save_file, load_file
import timm
from timm.utils import CheckpointSaver, ModelEmaV2
from timm.utils import NativeScaler
out = sys.argv[3] if len(sys.argv) > 3 else "."
print("torch", torch.__version__, "timm", timm.__version__, "numpy", np.__version__)

def holder(sd):
    root = nn.Module()
    for k, v in sd.items():
        parts = k.split("."); m = root
        for p in parts[:-1]:
            if not hasattr(m, p): m.add_module(p, nn.Module())
            m = getattr(m, p)
        if v.is_floating_point() and "running" not in parts[-1]:
            m.register_parameter(parts[-1], nn.Parameter(v.clone()))
        else:
            m.register_buffer(parts[-1], v.clone())
    return root

sd = torch.load(sys.argv[1])  # ../shared/fixtures/pth/spikformer_tiny_state_dict.pth
model = holder(sd)
assert set(model.state_dict().keys()) == set(sd.keys())
opt = torch.optim.AdamW(model.parameters(), lr=5e-4, weight_decay=6e-2)
# one optimizer step with zero lr-effect: give grads, step, then restore weights so state_dict == fixture
for p in model.parameters(): p.grad = torch.randn_like(p) * 1e-3
opt.step()
with torch.no_grad():
    for k, v in model.state_dict().items(): v.copy_(sd[k])
ema = ModelEmaV2(model, decay=0.9998)
args = argparse.Namespace(model="spikformer", dataset="torch/cifar10", data_dir="/data/cifar10",
    num_classes=10, img_size=32, dim=64, num_heads=4, mlp_ratio=4, layer=1, time_step=4, patch_size=4,
    batch_size=64, lr=5e-4, weight_decay=6e-2, epochs=300, opt="adamw", sched="cosine", amp=True,
    mean=(0.4914, 0.4822, 0.4465), std=(0.247, 0.2435, 0.2616), output="/runs/spikformer", seed=42,
    model_ema=True, model_ema_decay=0.9998, eval_metric="top1", pretrained=False)
d = os.path.join(out, "timm"); os.makedirs(d, exist_ok=True)
saver = CheckpointSaver(model=model, optimizer=opt, args=args, model_ema=ema, amp_scaler=NativeScaler(),
                        checkpoint_dir=d, recovery_dir=d, decreasing=False, max_history=1)
saver.save_checkpoint(epoch=7, metric=np.float64(93.75))
print(sorted(os.listdir(d)))
ck = torch.load(os.path.join(d, "model_best.pth.tar"), weights_only=False)
print({k: type(v).__name__ for k, v in ck.items()})
os.replace(os.path.join(d, "model_best.pth.tar"), os.path.join(out, "spikformer_tiny_timm_best.pth.tar"))

# fp16 EMA under module. (DataParallel) + numpy metric, plain torch.save
ema16 = collections.OrderedDict(("module." + k, v.half() if v.is_floating_point() else v) for k, v in sd.items())
ck2 = {"epoch": 11, "arch": "spikformer", "state_dict": collections.OrderedDict(("module." + k, v) for k, v in sd.items()),
       "state_dict_ema": ema16, "optimizer": opt.state_dict(), "version": 2, "args": args,
       "metric": np.float64(94.5)}
torch.save(ck2, os.path.join(out, "spikformer_tiny_ema_fp16_module.pth"))
widened = {k: (v.half().float() if v.is_floating_point() else v).contiguous() for k, v in sd.items()}
save_file(widened, os.path.join(out, "spikformer_tiny_ema_fp16_widened.safetensors"))

# legacy (non-zip) format with args
torch.save({"epoch": 3, "arch": "spikformer", "state_dict": sd, "args": args, "metric": np.float32(91.0)},
           os.path.join(out, "spikformer_tiny_legacy.pth"), _use_new_zipfile_serialization=False)

# torch.compile prefix (a real compiled wrapper's state_dict)
cm = torch.compile(model)
csd = cm.state_dict()
print("compile keys", list(csd.keys())[:2])
torch.save({"state_dict": csd, "epoch": 1}, os.path.join(out, "spikformer_tiny_compiled.pth"))

# bf16 state_dict of the trained RTFormer tiny (widened reference alongside)
dsd = load_file(sys.argv[2])  # ../shared/data/trained/digits_tiny.safetensors
bf = collections.OrderedDict((k, v.bfloat16() if v.is_floating_point() else v) for k, v in dsd.items())
torch.save({"model": bf, "epoch": 29}, os.path.join(out, "digits_tiny_bf16_model.pth"))
save_file({k: (v.float() if v.is_floating_point() else v).contiguous() for k, v in bf.items()},
          os.path.join(out, "digits_tiny_bf16_widened.safetensors"))

# smuggling pickles: must be refused by name, never executed
class Evil:
    def __init__(self, f, a): self.f, self.a = f, a
    def __reduce__(self): return (self.f, self.a)
import subprocess, builtins
torch.save({"state_dict": sd, "args": Evil(os.system, ("echo pwned",))}, os.path.join(out, "evil_os_system.pth"))
torch.save({"state_dict": sd, "metric": Evil(builtins.eval, ("1+1",))}, os.path.join(out, "evil_eval.pth"))
torch.save({"state_dict": collections.OrderedDict(list(sd.items())[:3] + [("x", Evil(subprocess.Popen, (["true"],)))])},
           os.path.join(out, "evil_subprocess_in_state_dict.pth"))
for f in sorted(os.listdir(out)):
    p = os.path.join(out, f)
    if os.path.isfile(p): print(f, os.path.getsize(p))
