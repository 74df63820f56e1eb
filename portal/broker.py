"""The embedded broker: kombu's filesystem transport, made safe for a reader racing a writer.

kombu's own ``_put`` creates the message file and only then writes into it, while ``_get``
takes any ``*.msg`` file it lists; a consumer that lists the folder in between takes an empty
file, fails to decode it and deletes it, and the task is lost. Here a message is written under
a name no reader takes (``….msg.part``) and renamed into place when complete, and a reader
claims a file by renaming it into the processed folder, which only one reader can do.

``portal/celery.py`` registers this transport under kombu's ``filesystem`` alias, so the
``filesystem://`` URLs in the settings and the README keep their meaning.
"""

import os
import uuid
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

PARTIAL_SUFFIX = ".part"


class Channel(filesystem.Channel):
    # kombu names the second parameter `message` in one base class and `payload` in the other.
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Write the message whole under a temporary name, then rename it into the queue."""
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = final + PARTIAL_SUFFIX
        try:
            with open(partial, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _get(self, queue: str, timeout: float | None = None) -> Any:
        """Claim the oldest complete message of ``queue``; one reader wins each file."""
        wanted = f"{queue}.msg"
        for name in sorted(os.listdir(self.data_folder_in)):
            if name.partition(".")[2] != wanted:
                continue
            claimed = os.path.join(self.processed_folder, name)
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:
                continue  # another consumer claimed it between the listing and now
            except OSError as exc:
                raise ChannelError(
                    f"Cannot move {name!r} to {self.processed_folder!r}: the broker's folders must be "
                    "on one filesystem (CELERY_FILESYSTEM_DIR)."
                ) from exc
            try:
                with open(claimed, "rb") as file:
                    payload = file.read()
                if not self.store_processed:
                    os.remove(claimed)
            except OSError as exc:
                raise ChannelError(f"Cannot read file {claimed!r} from queue.") from exc
            return loads(bytes_to_str(payload))
        raise Empty()


class Transport(filesystem.Transport):
    Channel = Channel
