"""Memory of workers that sort member names by pinyin: pypinyin used first in the master (as
gunicorn.conf.py's ``when_ready`` does) against each worker loading its own copy.

    .venv/bin/python bench/pinyin_memory.py [--workers 5]

Each way, the script forks the workers as gunicorn does (after ``gc.freeze()``, as the config's
``pre_fork``), each worker sorts 2,000 names with ``reports.tables.pinyin_key`` (what a branch
page does), and the PSS of the master and of each worker is read from
``/proc/PID/smaps_rollup``. Each way runs in a fresh interpreter of its own, one after the
other, so the two are measured side by side.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["张伟", "王芳", "曾国华", "单雪梅", "解小东", "李娜", "区永明", "乐嘉", "欧阳春", "覃海"] * 200


def pss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def one_way(in_master: bool, workers: int) -> dict:
    sys.path.insert(0, str(ROOT))
    from lms.reports.tables import pinyin_key

    if in_master:
        pinyin_key("田埂课堂")
    gc.freeze()
    children = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:
            sorted(NAMES, key=pinyin_key)
            time.sleep(3)
            os._exit(0)
        children.append(pid)
    time.sleep(2)
    figures = {"master": pss_mb(os.getpid()), "workers": [pss_mb(pid) for pid in children]}
    for pid in children:
        os.waitpid(pid, 0)
    figures["total"] = figures["master"] + sum(figures["workers"])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--way", choices=("master", "worker"))
    args = parser.parse_args()
    if args.way:
        print(json.dumps(one_way(args.way == "master", args.workers)))
        return 0
    print(f"PSS in MB, {args.workers} workers each sorting {len(NAMES)} names by pinyin")
    for way, label in (("worker", "each worker loads pypinyin"),
                       ("master", "the master loads it first")):
        out = subprocess.run([sys.executable, __file__, "--way", way, "--workers",
                              str(args.workers)], capture_output=True, text=True, check=True)
        got = json.loads(out.stdout)
        workers = ", ".join(f"{w:.1f}" for w in got["workers"])
        print(f"{label:28} master {got['master']:6.1f}  workers {workers}  "
              f"total {got['total']:6.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
