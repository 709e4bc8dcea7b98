"""Python values -> TOML text (the subset model files use): numbers, strings,
booleans, lists and inline tables. numpy scalars and arrays are accepted."""
import json
import math


def value(x):
    """One TOML value for x."""
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):  # numpy scalar or array
        x = x.tolist()
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return repr(x)  # shortest text that reads back to the same double
    if isinstance(x, str):
        return json.dumps(x)  # a TOML basic string (JSON escapes are valid TOML escapes)
    if isinstance(x, dict):
        return "{ " + ", ".join(f"{key(k)} = {value(v)}" for k, v in x.items()) + " }"
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(value(v) for v in x) + "]"
    raise TypeError(f"cannot write {type(x).__name__} {x!r} as a TOML value")


def key(k):
    k = str(k)
    if k and all(c.isalnum() or c in "_-" for c in k):
        return k
    return json.dumps(k)


def set_option(path, x):
    """`--set path=value` for a Python value (strings are quoted TOML strings)."""
    return f"{path}={value(x)}"
