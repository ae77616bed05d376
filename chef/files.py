"""Files in and out: the one atomic writer (text, GGUF, model folder), write checks made before
the slow work, the JSONL data reader, and OS errors said in Spanish.

Used by every script that writes something, and by chef.model_folder and chef.gguf_export.
"""

import errno
import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from chef.cli import ChefError

OS_ERRORS = {errno.EACCES: "sin permiso de escritura", errno.EPERM: "sin permiso de escritura",
             errno.EROFS: "el sistema de ficheros es de solo lectura", errno.ENOSPC: "no queda espacio en el disco",
             errno.ENOTDIR: "una parte de la ruta es un fichero, no una carpeta",
             errno.EEXIST: "una parte de la ruta es un fichero, no una carpeta",  # mkdir over a file
             errno.EISDIR: "es una carpeta, no un fichero", errno.ENOENT: "la carpeta no existe y no se puede crear"}
READ_ERRORS = {errno.EACCES: "sin permiso de lectura", errno.EPERM: "sin permiso de lectura", errno.ENOENT: "no existe"}


def os_error_text(err: OSError, reading: bool = False) -> str:
    """An OSError's cause in Spanish (the usual ones), else its own words."""
    known = OS_ERRORS | READ_ERRORS if reading else OS_ERRORS
    return known.get(err.errno, err.strerror or type(err).__name__)


def _temp_file_beside(path: Path) -> Path:
    """A new empty temporary file in path's folder, made if missing; ChefError if impossible."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:
        why = os_error_text(err)
        if err.errno == errno.ENOENT and path.parent.is_dir():  # /proc and the like
            why = "en esa carpeta no se pueden crear ficheros"
        raise ChefError(f"no puedo escribir {path}: {why}") from None
    os.close(fd)
    return Path(name)


def check_writable(path, folder: bool = False) -> Path:
    """Raise ChefError now, before the slow work, unless `path` (a file, or with folder=True a folder)
    can be written at the end: its parent must take a new file, made there (parent too) and removed."""
    path = Path(path)
    if folder and path.exists() and not path.is_dir():
        raise ChefError(f"{path} es un fichero: indica la ruta de una carpeta")
    if not folder and path.is_dir():
        raise ChefError(f"{path} es una carpeta: indica la ruta de un fichero")
    _temp_file_beside(path).unlink()
    return path


@contextmanager
def replacing(path, folder: bool = False):
    """Yield a temporary path beside `path`; when the block ends without error, it takes path's place,
    so a failure or Ctrl-C never leaves half an output (the old one, if any, stays as it was)."""
    path = Path(path).resolve() if folder else Path(path)
    if folder:
        tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        tmp = _temp_file_beside(path)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        for file in tmp.iterdir() if folder else [tmp]:  # mkstemp and safetensors make 0600 files
            file.chmod(0o666 & ~umask)
        if folder and path.exists():
            old = path.with_name(f"{path.name}.old-{os.getpid()}")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except OSError as err:
        raise ChefError(f"no puedo escribir {path}: {os_error_text(err)}") from None
    finally:  # gone already after a rename; removed here after an error
        if folder:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            tmp.unlink(missing_ok=True)


def atomic_write_text(path, text: str) -> None:
    with replacing(check_writable(path)) as tmp:  # a folder at path is said plainly first
        tmp.write_text(text, encoding="utf-8", newline="\n")


def read_jsonl(path, required=("instruction", "response")):
    """Read a JSONL file of objects; a bad line raises ChefError naming file and line."""
    path = Path(path)
    if not path.is_file():
        raise ChefError(f"no existe el fichero de datos {path} (créalo con: python generate_dataset.py)")
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise ChefError(f"{path}:{lineno}: línea JSON no válida ({err.msg})") from None
            if not isinstance(row, dict):
                raise ChefError(f"{path}:{lineno}: se esperaba un objeto JSON")
            for key in required:
                if not isinstance(row.get(key), str) or not row[key].strip():
                    raise ChefError(f"{path}:{lineno}: falta el campo de texto '{key}'")
            rows.append(row)
    if not rows:
        raise ChefError(f"{path}: el fichero está vacío")
    return rows


def file_sha256(path):
    """Hex SHA-256 of a file: ties a trained model to the exact data it saw."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
