"""Imports chatterbox-tts's model modules without its package __init__ files: chatterbox's imports
the Perth watermarker and s3gen's imports torchaudio, neither of which the model code needs.
Import this module before any `chatterbox.models...` import."""
import os
import site
import sys
import types

ROOT = next(os.path.join(d, "chatterbox") for d in site.getsitepackages()
            if os.path.isdir(os.path.join(d, "chatterbox")))

for _name, _path in (("chatterbox", ROOT),
                     ("chatterbox.models", os.path.join(ROOT, "models")),
                     ("chatterbox.models.s3gen", os.path.join(ROOT, "models", "s3gen"))):
    _package = types.ModuleType(_name)
    _package.__path__ = [_path]
    sys.modules[_name] = _package
