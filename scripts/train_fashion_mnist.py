#!/usr/bin/python3
"""Train the small CNNs that nestrt ships as its real test models, and export them.

--arch resnet (default): a ResNet-style CNN (stem conv + maxpool, three basic
residual blocks, global average pool, linear). --arch mobilenetv2: a
MobileNetV2-style CNN (inverted residual blocks: 1x1 expand, depthwise 3x3,
1x1 linear projection, ReLU6, residual adds). Trains on the 60k Fashion-MNIST
training images, measures FP32 top-1 on the 10k test images and writes into
--out (default: models/), with NAME = fashion_mnist_<arch>:

  NAME.onnx                            opset 13, batch 1, input `input` [1,1,28,28],
                                       output `logits` [1,10]; BatchNormalization
                                       nodes are kept unfolded on purpose
  NAME.json                            accuracy, seed, epochs, preprocessing, labels
  fashion_mnist_labels.txt             the 10 class names in label order
  NAME.fp32_pred.u8                    torch FP32 predicted class per test image
  NAME.ref_logits.npy                  float32 [64,10] logits of the first 64 test images
  samples/                             first test image of each class as 8-bit PNG
  NAME.md                              what each file is and how it was made

Before writing anything, the exported graph is checked with the onnx package
(allowed ops only, BatchNormalization present, weights are initializers) and run
by a small numpy evaluator against torch (max |diff| of logits < 1e-4).

Preprocessing is pixel/255 only (no mean/std). Seeds are fixed and torch runs
deterministic algorithms on 2 threads, so a rerun gives the same accuracy.
Runtime: roughly 5-8 minutes on 2 CPU cores with the default 12 epochs.

Needs Debian's python3-torch, python3-numpy, python3-pil, python3-onnx and the
dataset-fashion-mnist package. Usage:
  /usr/bin/python3 scripts/train_fashion_mnist.py [--arch resnet|mobilenetv2] [--epochs N] [--out models/]
"""

import argparse
import collections
import gzip
import json
import re
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
MODEL_NAME = "fashion_mnist_resnet"  # set from --arch in main()
SEED = 20240601
BATCH_SIZE = 256
MAX_LR = 0.1
WEIGHT_DECAY = 5e-4
OPSET = 13
NUM_REF_LOGITS = 64
NUM_NUMPY_CHECK = 16
ALLOWED_OPS = {"Conv", "BatchNormalization", "Relu", "Clip", "Constant", "Add", "MaxPool",
               "GlobalAveragePool", "Flatten", "Gemm"}
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = Path("/usr/share/datasets/fashion-mnist")


# --------------------------------------------------------------------- data

def load_idx(path):
    """Reads a gzip-compressed IDX file (unsigned-byte payload) into a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data.reshape(dims)


def load_split(data_dir, prefix):
    """Returns (images uint8 [N,28,28], labels uint8 [N]) for 'train' or 't10k'."""
    images = load_idx(data_dir / f"{prefix}-images-idx3-ubyte.gz")
    labels = load_idx(data_dir / f"{prefix}-labels-idx1-ubyte.gz")
    assert images.shape[0] == labels.shape[0] and images.shape[1:] == (28, 28)
    return images, labels


def to_input(images):
    """uint8 [N,28,28] -> float32 NCHW tensor scaled by 1/255 (the only preprocessing)."""
    return torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)


# -------------------------------------------------------------------- model

class BasicBlock(nn.Module):
    """ResNet basic block; a 1x1 conv + BN shortcut when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class FashionResNet(nn.Module):
    """28x28 -> stem (16ch, maxpool to 14x14) -> 16 -> 32 (7x7) -> 64 (4x4) -> GAP -> 10."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.stem_conv = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.stem_bn = nn.BatchNorm2d(16)
        self.pool = nn.MaxPool2d(2, 2)
        self.block1 = BasicBlock(16, 16, 1)
        self.block2 = BasicBlock(16, 32, 2)
        self.block3 = BasicBlock(32, 64, 2)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.pool(F.relu(self.stem_bn(self.stem_conv(x))))
        x = self.block3(self.block2(self.block1(x)))
        x = F.adaptive_avg_pool2d(x, 1)  # exports as GlobalAveragePool
        return self.fc(torch.flatten(x, 1))  # exports as Flatten + Gemm


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand + BN + ReLU6 (if t > 1), depthwise 3x3 + BN + ReLU6,
    1x1 linear projection + BN; a residual add when stride 1 keeps the shape."""

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False),
                   nn.BatchNorm2d(hidden), nn.ReLU6(),
                   nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class FashionMobileNetV2(nn.Module):
    """28x28 -> stem 16 -> [t1 c16 s1] -> [t4 c24 x2 s2] (14x14) -> [t4 c32 x2 s2] (7x7)
    -> [t4 c64 s2] (4x4) -> 1x1 conv 128 -> GAP -> 10."""

    SETTINGS = [(1, 16, 1, 1), (4, 24, 2, 2), (4, 32, 2, 2), (4, 64, 1, 2)]  # t, c, n, s

    def __init__(self, num_classes=10):
        super().__init__()
        layers = [nn.Conv2d(1, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6()]
        cin = 16
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += [nn.Conv2d(cin, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(128, num_classes)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), 1)  # exports as GlobalAveragePool
        return self.fc(torch.flatten(x, 1))


ARCHES = {"resnet": FashionResNet, "mobilenetv2": FashionMobileNetV2}
ARCH_TEXT = {
    "resnet": """Architecture: conv3x3 1->16 + BN + ReLU, maxpool 2x2 (14x14); basic block 16;
basic block 16->32 stride 2 (1x1 conv + BN shortcut, 7x7); basic block 32->64
stride 2 (4x4); global average pool; flatten; linear 64->10.""",
    "mobilenetv2": """Architecture (MobileNetV2-style): conv3x3 1->16 + BN + ReLU6; inverted residual
blocks (t = expansion, c = channels, n = repeats, s = first stride) t1 c16 n1 s1,
t4 c24 n2 s2 (14x14), t4 c32 n2 s2 (7x7), t4 c64 n1 s2 (4x4), each a 1x1 expand +
BN + ReLU6, a depthwise 3x3 + BN + ReLU6 and a linear 1x1 projection + BN, with a
residual add where the shape is kept; conv1x1 64->128 + BN + ReLU6; global average
pool; flatten; linear 128->10.""",
}


# ----------------------------------------------------------------- training

def set_determinism(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)


def random_hflip(x, gen):
    """Mirrors half of the batch; clothing classes are left/right symmetric."""
    flip = torch.rand(x.shape[0], generator=gen) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def train(model, x, y, epochs, seed):
    """SGD + Nesterov momentum with a one-cycle LR schedule; returns wall seconds."""
    gen = torch.Generator().manual_seed(seed)
    steps_per_epoch = (x.shape[0] + BATCH_SIZE - 1) // BATCH_SIZE
    opt = torch.optim.SGD(model.parameters(), lr=MAX_LR, momentum=0.9,
                          nesterov=True, weight_decay=WEIGHT_DECAY)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=MAX_LR, total_steps=epochs * steps_per_epoch)
    start = time.time()
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(x.shape[0], generator=gen)
        total_loss = 0.0
        for i in range(steps_per_epoch):
            idx = order[i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
            loss = F.cross_entropy(model(random_hflip(x[idx], gen)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total_loss += loss.item() * idx.numel()
        print(f"epoch {epoch + 1}/{epochs}: loss {total_loss / x.shape[0]:.4f} "
              f"({time.time() - start:.0f} s)", flush=True)
    return time.time() - start


@torch.no_grad()
def predict_logits(model, x):
    model.eval()
    return torch.cat([model(x[i:i + 1000]) for i in range(0, x.shape[0], 1000)])


# ------------------------------------------------------------------- export

def export_onnx(model, path):
    """Exports batch-1 opset-13 ONNX with BatchNormalization left unfolded; returns it.

    In EVAL mode the exporter folds BN into the preceding Conv; PRESERVE with the
    model already in eval() keeps inference-mode BN nodes, which the nestrt
    converter is expected to fold itself.
    """
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), str(path),
                      input_names=["input"], output_names=["logits"],
                      opset_version=OPSET, training=torch.onnx.TrainingMode.PRESERVE,
                      do_constant_folding=False)
    proto = onnx.load(str(path))
    inline_identity_initializers(proto.graph)
    onnx.save(proto, str(path))
    return proto


def inline_identity_initializers(graph):
    """Replaces `Identity(initializer)` nodes by a copy of the initializer.

    In a projection block the two BNs feeding the Add get identical bias gradients,
    so their biases stay bitwise equal; the exporter then deduplicates them and
    inserts Identity nodes. Giving each BN its own bias keeps the op set minimal.
    """
    inits = {t.name: t for t in graph.initializer}
    for node in list(graph.node):
        if node.op_type == "Identity" and node.input[0] in inits:
            copy = onnx.TensorProto()
            copy.CopyFrom(inits[node.input[0]])
            copy.name = node.output[0]
            graph.initializer.append(copy)
            graph.node.remove(node)


def _dims(value_info):
    return [d.dim_value for d in value_info.type.tensor_type.shape.dim]


def check_onnx_structure(proto):
    """Asserts the graph uses only the expected ops and stores weights as initializers."""
    onnx.checker.check_model(proto)
    graph = proto.graph
    counts = collections.Counter(node.op_type for node in graph.node)
    assert set(counts) <= ALLOWED_OPS, f"unexpected ops: {set(counts) - ALLOWED_OPS}"
    assert counts["BatchNormalization"] > 0, "BatchNormalization was folded away"
    inits = {t.name for t in graph.initializer}
    assert [i.name for i in graph.input] == ["input"], "weights must not be graph inputs"
    assert [o.name for o in graph.output] == ["logits"]
    assert _dims(graph.input[0]) == [1, 1, 28, 28] and _dims(graph.output[0]) == [1, 10]
    produced = {out for node in graph.node for out in node.output}
    for node in graph.node:
        for name in node.input:
            assert name in inits or name in produced or name == "input", name
    return dict(sorted(counts.items()))


# ---------------------------------------------------- numpy ONNX evaluator

def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _windows(x, kh, kw, stride, pads):
    """im2col view: [N,C,H,W] -> [N,C,OH,OW,kh,kw] over the padded input."""
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return win[:, :, ::stride[0], ::stride[1]]


def _conv(inputs, a):
    x, w = inputs[0], inputs[1]
    group = a.get("group", 1)
    assert set(a.get("dilations", [1, 1])) == {1}
    assert group == 1 or (group == x.shape[1] == w.shape[0] and w.shape[1] == 1), "only dense or depthwise"
    win = _windows(x, w.shape[2], w.shape[3], a.get("strides", [1, 1]),
                   a.get("pads", [0, 0, 0, 0]))
    if group == 1:
        y = np.einsum("nchwij,ocij->nohw", win, w, optimize=True)
    else:
        y = np.einsum("nchwij,cij->nchw", win, w[:, 0], optimize=True)
    return y + inputs[2][None, :, None, None] if len(inputs) > 2 else y


def _batchnorm(inputs, a):
    x, scale, bias, mean, var = (v if i == 0 else v[None, :, None, None]
                                 for i, v in enumerate(inputs))
    return (x - mean) / np.sqrt(var + a.get("epsilon", 1e-5)) * scale + bias


def _maxpool(inputs, a):
    kh, kw = a["kernel_shape"]
    pads = a.get("pads", [0, 0, 0, 0])
    assert not any(pads), "padded MaxPool not needed for this model"
    return _windows(inputs[0], kh, kw, a.get("strides", [1, 1]), pads).max(axis=(4, 5))


def _gemm(inputs, a):
    x, w = inputs[0], inputs[1]
    x = x.T if a.get("transA", 0) else x
    w = w.T if a.get("transB", 0) else w
    y = a.get("alpha", 1.0) * (x @ w)
    return y + a.get("beta", 1.0) * inputs[2] if len(inputs) > 2 else y


NUMPY_OPS = {
    "Conv": _conv,
    "BatchNormalization": _batchnorm,
    "Relu": lambda i, a: np.maximum(i[0], 0),
    "Clip": lambda i, a: np.clip(i[0], i[1], i[2]),
    "Constant": lambda i, a: numpy_helper.to_array(a["value"]).astype(np.float64),
    "Add": lambda i, a: i[0] + i[1],
    "MaxPool": _maxpool,
    "GlobalAveragePool": lambda i, a: i[0].mean(axis=(2, 3), keepdims=True),
    "Flatten": lambda i, a: i[0].reshape(int(np.prod(i[0].shape[:a.get("axis", 1)])), -1),
    "Gemm": _gemm,
}


def run_onnx_numpy(proto, x):
    """Evaluates the (topologically sorted) graph in float64 for one input array."""
    env = {t.name: numpy_helper.to_array(t).astype(np.float64)
           for t in proto.graph.initializer}
    env["input"] = x.astype(np.float64)
    for node in proto.graph.node:
        out = NUMPY_OPS[node.op_type]([env[n] for n in node.input], _attrs(node))
        env[node.output[0]] = out
    return env["logits"]


def check_onnx_numerics(proto, x, torch_logits):
    """Runs images one at a time (the graph is batch 1); returns max |diff| vs torch."""
    diffs = [np.abs(run_onnx_numpy(proto, x[i:i + 1].numpy()) - torch_logits[i:i + 1]).max()
             for i in range(x.shape[0])]
    worst = float(max(diffs))
    assert worst < 1e-4, f"ONNX vs torch logits differ by {worst}"
    return worst


# ---------------------------------------------------------------- artifacts

def slug(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def write_samples(out_dir, images, labels):
    """Saves the first test image of each class as an exact 8-bit grayscale PNG."""
    sample_dir = out_dir / "samples"
    sample_dir.mkdir(parents=True, exist_ok=True)
    for label, name in enumerate(CLASS_NAMES):
        index = int(np.flatnonzero(labels == label)[0])
        path = sample_dir / f"{index:04d}_{label}_{slug(name)}.png"
        Image.fromarray(images[index], mode="L").save(path)
        assert np.array_equal(np.asarray(Image.open(path)), images[index])


def write_metadata(out_dir, info):
    meta = {
        "model": MODEL_NAME,
        "fp32_test_top1": info["top1"],
        "test_images": info["test_images"],
        "epochs": info["epochs"],
        "seed": SEED,
        "torch_version": torch.__version__,
        "train_seconds": info["train_seconds"],
        "preprocess": {"scale": 1 / 255, "mean": [0], "std": [1],
                       "layout": "NCHW", "color": "gray"},
        "labels": CLASS_NAMES,
    }
    (out_dir / f"{MODEL_NAME}.json").write_text(json.dumps(meta, indent=2) + "\n")
    (out_dir / "fashion_mnist_labels.txt").write_text("\n".join(CLASS_NAMES) + "\n")


def write_model_card(out_dir, info):
    ops = ", ".join(f"{op} x{n}" for op, n in info["op_counts"].items())
    text = f"""# Fashion-MNIST {info["title"]} (shipped real model)

Generated by `scripts/train_fashion_mnist.py` (do not edit by hand):

    /usr/bin/python3 scripts/train_fashion_mnist.py --arch {info["arch"]} --epochs {info["epochs"]} --out models/

FP32 top-1 on the 10,000 Fashion-MNIST test images: **{info["top1"]:.2f}%**
(torch {torch.__version__}, seed {SEED}, {info["epochs"]} epochs, {info["train_seconds"]:.0f} s training on 2 cores).

Preprocessing: `pixel / 255`, no mean/std, NCHW, 1 gray channel, 28x28.

| File | Contents |
|---|---|
| `{MODEL_NAME}.onnx` | opset {OPSET}, batch 1, input `input` float [1,1,28,28], output `logits` float [1,10] (no softmax). BatchNormalization is kept unfolded so the converter has to fold it. Ops: {ops}. |
| `{MODEL_NAME}.json` | accuracy, epochs, seed, torch version, training time, preprocessing, labels. |
| `fashion_mnist_labels.txt` | the 10 class names, one per line, in label order. |
| `{MODEL_NAME}.fp32_pred.u8` | 10,000 bytes: torch FP32 predicted class of each test image, in test-set order. |
| `{MODEL_NAME}.ref_logits.npy` | float32 [{NUM_REF_LOGITS},10]: torch FP32 logits of the first {NUM_REF_LOGITS} test images. |
| `samples/` | first test image of each class, `<testindex>_<label>_<class>.png`, exact 8-bit pixels. |

{ARCH_TEXT[info["arch"]]}
"""
    (out_dir / f"{MODEL_NAME}.md").write_text(text)


# --------------------------------------------------------------------- main

def parse_args():
    parser = argparse.ArgumentParser(
        description="Train and export a Fashion-MNIST CNN shipped with nestrt.")
    parser.add_argument("--arch", choices=sorted(ARCHES), default="resnet",
                        help="network: resnet (default) or mobilenetv2")
    parser.add_argument("--epochs", type=int, default=12,
                        help="training epochs (default: 12, about 91%%+ top-1)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "models",
                        help="output directory (default: models/ in the repo)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"directory with the gzip IDX files (default: {DEFAULT_DATA})")
    return parser.parse_args()


def main():
    global MODEL_NAME
    args = parse_args()
    MODEL_NAME = f"fashion_mnist_{args.arch}"
    set_determinism(SEED)
    train_images, train_labels = load_split(args.data, "train")
    test_images, test_labels = load_split(args.data, "t10k")
    x_train, y_train = to_input(train_images), torch.from_numpy(train_labels.astype(np.int64))
    x_test = to_input(test_images)

    model = ARCHES[args.arch]()
    train_seconds = train(model, x_train, y_train, args.epochs, SEED)
    logits = predict_logits(model, x_test).numpy()
    pred = logits.argmax(axis=1).astype(np.uint8)
    top1 = round(100.0 * float((pred == test_labels).mean()), 2)
    print(f"FP32 test top-1: {top1:.2f}% ({train_seconds:.0f} s training)")

    args.out.mkdir(parents=True, exist_ok=True)
    onnx_path = args.out / f"{MODEL_NAME}.onnx"
    proto = export_onnx(model, onnx_path)
    op_counts = check_onnx_structure(proto)
    worst = check_onnx_numerics(proto, x_test[:NUM_NUMPY_CHECK], logits)
    print(f"ONNX: {onnx_path.stat().st_size} bytes, ops {op_counts}, "
          f"numpy-vs-torch max |diff| {worst:.2e} on {NUM_NUMPY_CHECK} images")

    pred.tofile(args.out / f"{MODEL_NAME}.fp32_pred.u8")
    np.save(args.out / f"{MODEL_NAME}.ref_logits.npy",
            logits[:NUM_REF_LOGITS].astype("<f4"))
    write_samples(args.out, test_images, test_labels)
    info = {"top1": top1, "test_images": int(test_labels.shape[0]), "epochs": args.epochs,
            "train_seconds": round(train_seconds, 1), "op_counts": op_counts,
            "arch": args.arch, "title": {"resnet": "ResNet", "mobilenetv2": "MobileNetV2"}[args.arch]}
    write_metadata(args.out, info)
    write_model_card(args.out, info)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
