"""Dependencies shared by the routes: settings, the searcher, the indexer, write access and slots, uploads."""

from __future__ import annotations

import hmac
import logging
import shutil
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect

from docqa import runtime
from docqa.config import Settings
from docqa.index.manifest import IndexUnavailable
from docqa.index.pipeline import Indexer
from docqa.index.search import Searcher
from docqa.index.write_errors import classify
from docqa.ingest.readers import SUPPORTED
from docqa.service.schemas import DocumentIn
from docqa.service.writes import QueueFull, WriteQueue

FORM_SLACK = 64 * 1024  # room for the multipart framing and the small text fields
log = logging.getLogger(__name__)
MAX_NAME_BYTES = 255  # the longest file name Linux file systems take (ext4, xfs, btrfs)


async def get_settings(request: Request) -> Settings:  # async: no thread of the pool for a lookup
    return request.app.state.settings


async def get_searcher(request: Request) -> Searcher:
    """The searcher; a generation made current by any process loads in the background.

    Async, so that a query never waits for a thread of the shared pool just to look at the
    manifest (a stat); only the very first load, before anything was served, takes a thread."""
    searcher: Searcher = request.app.state.searcher
    if searcher.manifest is None:
        await run_in_threadpool(searcher.refresh)
    else:
        searcher.refresh()
    return searcher


def get_current_searcher(request: Request) -> Searcher:
    """The searcher with the current generation loaded, for answers that must be exact (counts)."""
    searcher: Searcher = request.app.state.searcher
    searcher.refresh(wait=True)
    return searcher


def unavailable(exc: Exception) -> HTTPException:
    """A 503 for a data directory that cannot serve: the log gets the reason with its paths, the
    response a message without them (no server paths to unauthenticated clients)."""
    log.error("the index is unavailable: %s", exc)
    public = exc.public if isinstance(exc, IndexUnavailable) else IndexUnavailable.public
    return HTTPException(503, public)


SettingsDep = Annotated[Settings, Depends(get_settings)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]
CurrentSearcherDep = Annotated[Searcher, Depends(get_current_searcher)]


async def get_indexer(request: Request, settings: SettingsDep) -> Indexer:
    """An indexer on the served data directory, reusing the loaded model and Kiwi (never a second)."""
    searcher: Searcher = request.app.state.searcher
    return runtime.indexer(settings, model=searcher.embedder, analyser=searcher.kiwi)


IndexerDep = Annotated[Indexer, Depends(get_indexer)]


# Documents the bearer scheme in the OpenAPI document; the check below reads the header itself.
_bearer = HTTPBearer(auto_error=False, description="DOCQA_API_KEY, as 'Authorization: Bearer <key>'")


async def require_api_key(
    request: Request,
    settings: SettingsDep,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Writes need DOCQA_API_KEY as a bearer token (compared in constant time); unset, they are off."""
    if not settings.api_key:
        raise HTTPException(403, "write endpoints are disabled: set DOCQA_API_KEY on the server to use them")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(
            401, "missing API key: send 'Authorization: Bearer <key>'", headers={"WWW-Authenticate": "Bearer"}
        )
    if not hmac.compare_digest(token.strip().encode(), settings.api_key.encode()):
        raise HTTPException(403, "wrong API key")


WriteAccess = Depends(require_api_key)


async def write_slot(request: Request) -> AsyncIterator[WriteQueue]:
    """A place in the write queue, taken before an upload's body is read; full, a 503 with Retry-After."""
    writes: WriteQueue = request.app.state.writes
    try:
        writes.admit()
    except QueueFull as exc:
        await _drain(request, request.app.state.settings)
        raise HTTPException(
            503,
            f"too many writes in progress ({writes.depth}, DOCQA_WRITE_QUEUE): retry in {exc.retry_after} s",
            headers={"Retry-After": str(exc.retry_after)},
        ) from None
    try:
        yield writes
    finally:
        writes.release()


async def _drain(request: Request, settings: Settings) -> None:
    """Read and drop a refused body (up to the upload limit), so the client reads the answer
    instead of a connection reset in the middle of sending."""
    limit, total = settings.max_upload_mb * 1024 * 1024 + FORM_SLACK, 0
    try:
        async for chunk in request.stream():
            total += len(chunk)
            if total > limit:
                return
    except ClientDisconnect:
        return


WriteSlotDep = Annotated[WriteQueue, Depends(write_slot)]


# --- uploads -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Upload:
    """An uploaded file, saved under its own name in a private temporary folder, and its fields."""

    path: Path
    fields: DocumentIn


class _TooLarge(Exception):
    pass


async def read_upload(request: Request, settings: SettingsDep) -> AsyncIterator[Upload]:
    """Stream a multipart upload to disk, counting bytes: a body over the limit is cut off (413)."""
    limit = settings.max_upload_mb * 1024 * 1024
    too_large = HTTPException(413, f"the upload is larger than the limit of {settings.max_upload_mb} MB")
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise HTTPException(415, "send multipart/form-data with the document in the field 'file'")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FORM_SLACK:
        raise too_large
    parser = MultiPartParser(
        request.headers,
        _capped(request.stream(), limit + FORM_SLACK),
        max_files=1,
        max_fields=16,
        max_part_size=FORM_SLACK,
    )
    try:
        form = await parser.parse()
    except _TooLarge:
        raise too_large from None
    except MultiPartException as exc:
        raise HTTPException(422, f"cannot read the form: {exc.message}") from exc
    except OSError as exc:  # spooling the file to the temporary folder
        if (refused := _no_room(exc)) is None:
            raise
        raise refused from exc
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise HTTPException(422, "file: required; send the document as the multipart file field 'file'")
        if (file.size or 0) > limit:
            raise too_large
        fields = _fields({k: v for k, v in form.multi_items() if k != "file"})
        name = _file_name(file.filename)
        with tempfile.TemporaryDirectory(prefix="docqa-upload-") as folder:
            path = Path(folder) / name
            try:
                await run_in_threadpool(_save, file, path)
            except OSError as exc:
                if (refused := _no_room(exc)) is None:
                    raise
                raise refused from exc
            yield Upload(path, fields)
    finally:
        await form.close()


def _no_room(exc: OSError) -> HTTPException | None:
    """An upload that the server's temporary folder cannot take: 507 when it is full, 503 when it
    cannot be written; None for any other error."""
    full = classify(exc)
    if full is None:
        return None
    log.error("could not save an upload: %s", exc)
    what = "full" if full else "not writable"
    return HTTPException(507 if full else 503, f"the server's temporary folder is {what}: nothing was stored")


async def _capped(stream: AsyncIterator[bytes], limit: int) -> AsyncGenerator[bytes, None]:
    total = 0
    async for chunk in stream:
        total += len(chunk)
        if total > limit:
            raise _TooLarge
        yield chunk


def _fields(values: dict[str, object]) -> DocumentIn:
    """Validate the text fields; an unknown or misspelt field is an error, not silently dropped."""
    if any(not isinstance(v, str) for v in values.values()):
        raise HTTPException(422, "only the field 'file' may be a file")
    try:
        return DocumentIn(**values)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc


def _file_name(filename: str | None) -> str:
    """The uploaded file's base name (no folders); its suffix picks the reader (415 when none fits)."""
    name = Path((filename or "").replace("\\", "/")).name.strip()
    if "\x00" in name:  # no file system takes it (open() raises ValueError)
        raise HTTPException(422, "the file name contains a NUL character: rename the file")
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise HTTPException(422, f"the file name is longer than {MAX_NAME_BYTES} bytes: rename the file")
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        shown = suffix or "(no suffix)"
        raise HTTPException(415, f"unsupported file type {shown}; supported: {', '.join(SUPPORTED)}")
    return name


def _save(file: UploadFile, path: Path) -> None:
    file.file.seek(0)
    with open(path, "wb") as out:
        shutil.copyfileobj(file.file, out)


UploadDep = Annotated[Upload, Depends(read_upload)]
