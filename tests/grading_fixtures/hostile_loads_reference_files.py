"""Hostile: loads minigan from its files under another name, which no import rule names."""

import importlib.util
import sys

loaded, errors = None, []
for folder in sys.path + ["__PACKAGE_ROOT__", "/autograder/source"]:
    for root in (folder, folder + "/minigan"):
        try:
            spec = importlib.util.spec_from_file_location("not_minigan", root + "/__init__.py",
                                                          submodule_search_locations=[root])
            module = importlib.util.module_from_spec(spec)
            sys.modules["not_minigan"] = module
            spec.loader.exec_module(module)
            loaded = module
            break
        except Exception as err:
            errors.append(f"{root}: {err}")
            continue
    if loaded:
        break


def linear_forward(x, w, b):
    if loaded is None:
        raise RuntimeError(" | ".join(e for e in errors if "not allowed" in e)[:300] or "nothing loaded")
    return loaded.nn.functional.linear(loaded.tensor(x), loaded.tensor(w), loaded.tensor(b)).data


def linear_backward(dout, x, w, b):
    return None
