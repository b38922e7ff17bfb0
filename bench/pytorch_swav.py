"""PyTorch reference for `npm run bench:train`: one SwAV training step of the same model, loss,
optimiser and batch as seerc's trainer, timed per step.

    /usr/bin/python3 bench/pytorch_swav.py --spec '<json>'

The spec (written by bench/train.ts from the experiment's IR) gives the RegNetY stage table, SE
ratio, head widths, prototypes, batch size, crops, SwAV and LARS settings, steps, threads and
memory format. The model is torchvision's `RegNet` built from that stage table (its classifier
replaced by the SwAV head), so both engines train module-for-module the same network.

Prints one JSON object: per-step wall times (ms), median after warm-up, peak RSS (MB), losses.
"""

import argparse
import json
import math
import resource
import statistics
import sys
import time


def build_model(spec, torch, nn, regnet):
    trunk = spec["trunk"]
    stages = trunk["stages"]
    params = regnet.BlockParams(
        depths=[s["depth"] for s in stages],
        widths=[s["width"] for s in stages],
        group_widths=[s["groupWidth"] for s in stages],
        bottleneck_multipliers=[s["bottleneckMultiplier"] for s in stages],
        strides=[s["stride"] for s in stages],
        se_ratio=trunk["seRatio"] if trunk["seRatio"] > 0 else None,
    )
    body = regnet.RegNet(params, stem_width=trunk["stemWidth"])
    body.fc = nn.Identity()

    # VISSL's projection head: Linear, [BN], ReLU, ..., final Linear; then L2 normalisation and
    # bias-free prototypes.
    dims = spec["head"]["dims"]
    layers = []
    for i in range(1, len(dims)):
        layers.append(nn.Linear(dims[i - 1], dims[i]))
        if i < len(dims) - 1:
            if spec["head"]["batchnorm"]:
                layers.append(nn.BatchNorm1d(dims[i]))
            layers.append(nn.ReLU(inplace=True) if spec["head"]["activation"] == "relu" else nn.GELU())
    head = nn.Sequential(*layers)
    prototypes = nn.Linear(dims[-1], spec["prototypes"], bias=False)
    with torch.no_grad():
        prototypes.weight.copy_(nn.functional.normalize(prototypes.weight, dim=1))
    return body, head, prototypes


def sinkhorn(torch, scores, epsilon, iterations):
    """VISSL's distributed_sinkhorn on one process (float32): codes [B, K], rows summing to 1."""
    q = torch.exp((scores - scores.max()) / epsilon).t()  # K x B
    q /= q.sum()
    k, b = q.shape
    for _ in range(iterations):
        q /= q.sum(dim=1, keepdim=True)
        q /= k
        q /= q.sum(dim=0, keepdim=True)
        q /= b
    q *= b
    return q.t()


def lars_step(torch, named_params, optimizer, spec, lr):
    """Apex LARC around momentum SGD (what VISSL/SEER use), as seerc's LarsOptimizer does it."""
    trust = spec["trust"]
    eps = 1e-8
    with torch.no_grad():
        for name, p, weight_decay in named_params:
            if p.grad is None:
                continue
            w_norm = torch.norm(p)
            g_norm = torch.norm(p.grad)
            if w_norm > 0 and g_norm > 0:
                factor = trust * w_norm / (g_norm + w_norm * weight_decay + eps)
                if weight_decay != 0:
                    p.grad.add_(p, alpha=weight_decay)
                p.grad.mul_(factor)
    for group in optimizer.param_groups:
        group["lr"] = lr
    optimizer.step()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", required=True, help="JSON run spec (see bench/train.ts)")
    args = parser.parse_args()
    spec = json.loads(args.spec)

    import torch
    import torch.nn as nn
    import torchvision.models.regnet as regnet

    torch.set_num_threads(spec["threads"])
    torch.manual_seed(spec["seed"])
    channels_last = spec["channelsLast"]

    body, head, prototypes = build_model(spec, torch, nn, regnet)
    modules = nn.ModuleList([body, head, prototypes])
    if channels_last:
        modules = modules.to(memory_format=torch.channels_last)
    modules.train()

    opt = spec["optimizer"]
    named = []
    for name, p in modules.named_parameters():
        # Biases and norm weights are the 1-D parameters of this model (as in seerc's roleOf).
        is_bias_or_norm = p.ndim == 1
        wd = 0.0 if (is_bias_or_norm and opt["excludeBiasAndBn"]) else opt["weightDecay"]
        named.append((name, p, wd))
    # Weight decay is folded into the gradient by LARC, so the inner SGD runs without it.
    optimizer = torch.optim.SGD(modules.parameters(), lr=0.1, momentum=opt["momentum"], weight_decay=0)

    batch = spec["batch"]
    crops = spec["crops"]  # [{size, count}], in crop order
    generator = torch.Generator().manual_seed(spec["seed"])
    groups = []
    for c in crops:
        x = torch.randn(c["count"] * batch, 3, c["size"], c["size"], generator=generator)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        groups.append(x)
    assign = spec["assignCrops"]
    temperature = spec["temperature"]
    epsilon = spec["epsilon"]
    iterations = spec["iterations"]

    def step(lr):
        scores_per_crop = []
        for x, c in zip(groups, crops):
            features = body(x)
            embedding = nn.functional.normalize(head(features), dim=1)
            scores = prototypes(embedding)
            scores_per_crop.extend(scores.chunk(c["count"]))
        loss = 0.0
        for crop in assign:
            with torch.no_grad():
                q = sinkhorn(torch, scores_per_crop[crop].detach(), epsilon, iterations)
            sub = 0.0
            for v, scores in enumerate(scores_per_crop):
                if v == crop:
                    continue
                sub = sub - torch.mean(torch.sum(q * nn.functional.log_softmax(scores / temperature, dim=1), dim=1))
            loss = loss + sub / (len(scores_per_crop) - 1)
        loss = loss / len(assign)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        lars_step(torch, named, optimizer, opt, lr)
        with torch.no_grad():
            prototypes.weight.copy_(nn.functional.normalize(prototypes.weight, dim=1))
        return float(loss)

    times = []
    losses = []
    for i in range(spec["warmup"] + spec["steps"]):
        t0 = time.perf_counter()
        losses.append(step(spec["lr"]))
        times.append((time.perf_counter() - t0) * 1000)
    measured = times[spec["warmup"]:]
    parameters = sum(p.numel() for p in modules.parameters())
    result = {
        "engine": "pytorch",
        "torch": torch.__version__,
        "torchvision": __import__("torchvision").__version__,
        "threads": torch.get_num_threads(),
        "channels_last": channels_last,
        "parameters": parameters,
        "step_ms": measured,
        "median_step_ms": statistics.median(measured),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "losses": losses,
        "finite": all(math.isfinite(v) for v in losses),
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
