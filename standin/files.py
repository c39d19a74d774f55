"""files.getUploadURLExternal and files.completeUploadExternal as Slack answers them, with the upload URL
between them."""

from __future__ import annotations

import secrets

from .model import JsonDict, Message, UploadedFile
from .records import SlackError, Upload, response_metadata
from .state import WorkspaceState


class FilesApi(WorkspaceState):
    """The files.* methods of the external upload flow (files.upload is deprecated, and refused)."""

    def _files_get_upload_url(self, args: JsonDict) -> JsonDict:
        filename, length = args.get("filename"), args.get("length")
        if not filename or length is None or not str(length).isdigit():
            raise SlackError("invalid_arguments", extra=response_metadata(["[ERROR] filename and length are required"]))
        file_id = self.next_id("F")
        key = secrets.token_urlsafe(18)
        self._uploads[file_id] = Upload(
            file_id=file_id, filename=str(filename), length=int(str(length)), alt_txt=str(args.get("alt_txt") or "")
        )
        self._upload_tokens[key] = file_id
        return {"upload_url": f"{self.http_base}/upload/v1/{key}", "file_id": file_id}

    def receive_upload(self, key: str, content: bytes) -> bool:
        """Store the bytes posted to an upload URL; False when the URL is unknown."""
        with self.cond:
            file_id = self._upload_tokens.get(key)
            if file_id is None:
                return False
            self._uploads[file_id].content = content
        self.record("upload", {"file_id": file_id, "bytes": len(content)}, ok=True)
        return True

    def _files_complete_upload(self, args: JsonDict) -> JsonDict:
        files = args.get("files")
        if not isinstance(files, list) or not files:
            raise SlackError("invalid_arguments", extra=response_metadata(["[ERROR] files must be a JSON array"]))
        targets: list[str | None] = []
        if args.get("channel_id"):
            targets.append(self._postable_conversation(args["channel_id"]))
        for raw in str(args.get("channels") or "").split(","):
            if raw.strip():
                targets.append(self._postable_conversation(raw.strip()))
        uploads: list[tuple[Upload, str]] = []
        for entry in files:
            upload = self._uploads.get(str(entry.get("id"))) if isinstance(entry, dict) else None
            if upload is None or upload.content is None:
                raise SlackError("file_not_found")
            uploads.append((upload, str(entry.get("title") or upload.filename)))
        for target in targets or [None]:
            for upload, title in uploads:
                assert upload.content is not None
                thread = str(args["thread_ts"]) if args.get("thread_ts") else None
                self._files.append(
                    UploadedFile(upload.file_id, upload.filename, title, upload.content, target, thread, upload.alt_txt)
                )
            if target is not None:
                thread_ts = args.get("thread_ts")
                self._store_message(
                    Message(
                        channel=target,
                        ts=self.next_ts(),
                        text=str(args.get("initial_comment") or ""),
                        blocks=[],
                        thread_ts=str(thread_ts) if thread_ts else None,
                        files=tuple(u.file_id for u, _ in uploads),
                    )
                )
        for upload, _ in uploads:
            self._uploads.pop(upload.file_id, None)
        self.touch()
        return {"files": [{"id": u.file_id, "title": t, "name": u.filename, "size": u.length} for u, t in uploads]}
