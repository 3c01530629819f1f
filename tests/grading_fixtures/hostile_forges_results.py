"""Hostile: forges the child's result files (pickled objects, wrong array counts), then exits."""

import json
import os

import numpy as np

job = json.load(open("../job.json"))
for i, call in enumerate(job["calls"]):
    with open(f"../out/{call['id']}.npz", "wb") as f:
        if i % 2:
            np.savez(f, np.array([{"score": 100}], dtype=object), dtypes=np.array(["float64"]))
        else:
            np.savez(f, np.ones(3), dtypes=np.array(["float64"] * 5))
open("../out/done", "w").close()
os._exit(0)
