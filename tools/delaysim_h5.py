#!/usr/bin/python3
"""Compatibility shim: the reader moved into the Python package as delaysim.h5
(tools/python/delaysim/h5.py). This file loads that module directly, so
`import delaysim_h5` (with tools/ on sys.path) and
`python3 tools/delaysim_h5.py OUT.h5` keep working without the compiled module.
New code: `import delaysim as ds; ds.h5.load(path)`.
"""
import importlib.util
import os
import sys

_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "python", "delaysim", "h5.py")
_spec = importlib.util.spec_from_file_location("delaysim_h5_impl", _path)
_impl = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _impl  # dataclasses look their module up here
_spec.loader.exec_module(_impl)
globals().update({k: v for k, v in vars(_impl).items() if not k.startswith("__")})
__all__ = _impl.__all__
__doc__ = _impl.__doc__

if __name__ == "__main__":
    sys.exit(_impl.main())
