"""Python peer of bench/weight_load: safetensors.torch.load_file, touching every byte; with
"cold", the file's pages are dropped from the page cache before each run. Prints the best time
in seconds."""
import os
import sys
import time

import torch
from safetensors.torch import load_file

path, runs, cold = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "cold"
torch.set_num_threads(os.cpu_count() or 1)
best = float("inf")
for _ in range(runs):
    if cold:
        fd = os.open(path, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
    t0 = time.perf_counter()
    tensors = load_file(path)
    total = 0
    for t in tensors.values():
        total += int(t.view(torch.int64).sum())  # every byte, vectorised like the C++ loop
    best = min(best, time.perf_counter() - t0)
    del tensors, t  # a live mapping keeps its pages in the cache through the next drop
print(f"{best:.6f}")
