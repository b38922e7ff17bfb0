#!/usr/bin/env python3
"""The torchvision side of bench/data.ts: the same multi-crop recipe, on the same files, with the same
number of DataLoader worker processes, the way VISSL (SEER's code) builds it on PIL images:
RandomResizedCrop -> RandomHorizontalFlip -> RandomApply(ColorJitter) -> RandomGrayscale ->
PIL GaussianBlur (p, radius range) -> optional solarize -> ToTensor -> Normalize, per crop.

usage: torchvision_data.py --files LIST --recipe JSON --workers N --batch-size B --batches K [--warmup W]
Prints one JSON object: {"images_per_s", "images", "seconds", "cpu_ms_per_image", "torch", "torchvision"}
(CPU time of this process and its worker processes, per image: a measure that other load barely moves).
The first W batches (worker start-up, filling the prefetch queues) are not timed, as on the seerc side: the
queues are then full at both ends of the timed window, so it holds exactly the work of K batches.
"""
import argparse
import json
import os
import random
import sys
import time

import torch
import torchvision
import torchvision.transforms as T
from PIL import Image, ImageFilter, ImageOps


class PilGaussianBlur:
    """VISSL's ImgPilGaussianBlur: PIL's GaussianBlur with a radius (sigma) uniform in a range."""

    def __init__(self, p, radius_min, radius_max):
        self.p, self.radius_min, self.radius_max = p, radius_min, radius_max

    def __call__(self, img):
        if random.random() >= self.p:
            return img
        return img.filter(ImageFilter.GaussianBlur(radius=random.uniform(self.radius_min, self.radius_max)))


class PilSolarize:
    def __init__(self, p, threshold):
        self.p, self.threshold = p, int(round(threshold * 255))

    def __call__(self, img):
        return ImageOps.solarize(img, self.threshold) if random.random() < self.p else img


def crop_transform(crop, recipe):
    steps = [
        T.RandomResizedCrop(crop["size"], scale=tuple(crop["scale"]), ratio=tuple(crop["ratio"])),
        T.RandomHorizontalFlip(p=recipe["flip"]),
    ]
    jitter = recipe.get("colorJitter")
    if jitter:
        steps.append(
            T.RandomApply(
                [T.ColorJitter(jitter["brightness"], jitter["contrast"], jitter["saturation"], jitter["hue"])],
                p=jitter["p"],
            )
        )
    if recipe["grayscale"] > 0:
        steps.append(T.RandomGrayscale(p=recipe["grayscale"]))
    blur = recipe.get("blur")
    if blur:
        steps.append(PilGaussianBlur(blur["p"], blur["radius"][0], blur["radius"][1]))
    solarize = recipe.get("solarize")
    if solarize:
        steps.append(PilSolarize(solarize["p"], solarize["threshold"]))
    steps += [T.ToTensor(), T.Normalize(recipe["normalize"]["mean"], recipe["normalize"]["std"])]
    return T.Compose(steps)


class MultiCropFiles(torch.utils.data.Dataset):
    def __init__(self, files, recipe):
        self.files = files
        self.transforms = [crop_transform(c, recipe) for c in recipe["crops"] for _ in range(c["count"])]

    def __len__(self):
        return len(self.files)

    def __getitem__(self, index):
        with Image.open(self.files[index]) as opened:
            img = opened.convert("RGB")
        return [t(img) for t in self.transforms]


def cpu_seconds_of_tree():
    """CPU time (user + system) of this process and its direct children (the DataLoader workers)."""
    me = os.getpid()
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(entry), int(fields[1])
        if pid == me or ppid == me:
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", required=True)
    parser.add_argument("--recipe", required=True)
    parser.add_argument("--workers", type=int, required=True)
    parser.add_argument("--batch-size", type=int, required=True)
    parser.add_argument("--batches", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with open(args.files) as f:
        files = [line.strip() for line in f if line.strip()]
    recipe = json.loads(args.recipe)
    dataset = MultiCropFiles(files, recipe)
    options = {"persistent_workers": True, "prefetch_factor": 2} if args.workers > 0 else {}
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=args.batch_size, shuffle=True, num_workers=args.workers, drop_last=True, **options
    )
    warmup = max(1, args.warmup)
    needed = args.batches + warmup
    seen = 0
    started = None
    images = 0
    while seen < needed:
        for batch in loader:
            seen += 1
            if seen == warmup:
                started = time.perf_counter()
                cpu_started = cpu_seconds_of_tree()
            elif seen > warmup:
                images += batch[0].shape[0]
            if seen >= needed:
                break
    seconds = time.perf_counter() - started
    cpu_seconds = cpu_seconds_of_tree() - cpu_started
    print(
        json.dumps(
            {
                "images_per_s": images / seconds,
                "images": images,
                "seconds": seconds,
                "cpu_ms_per_image": 1000 * cpu_seconds / images,
                "torch": torch.__version__,
                "torchvision": torchvision.__version__,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
