"""Media files of an import, stored once per content: the SHA-256 checksum is the key.

The CSV path reads files that the export ships beside the CSV files (Akeneo writes them to
`files/<identifier>/<attribute>/<name>`); the API path downloads them. An Akeneo media file
code contains a hash of the content, so a code already stored is not downloaded again.
"""

import hashlib
import logging
import mimetypes
from pathlib import PurePosixPath

from django.core.files.base import ContentFile

from catalog.models import MediaAsset
from integrations.errors import ConnectorError

logger = logging.getLogger(__name__)


class MediaStore:
    """Resolves media paths to (asset id, checksum) and counts created and reused assets.

    `read` returns the bytes of a path or None when the file is not available. With
    `trust_source_url`, a path stored before is reused without reading it, which is right for
    Akeneo media codes because they change whenever the content does.
    """

    def __init__(self, stats, read, trust_source_url=False):
        self.stats = stats
        self.read = read
        self.trust_source_url = trust_source_url
        self.resolved = {}

    def resolve(self, paths):
        """Return {path: (asset id, checksum) or None} for every path."""
        result = {}
        for path in paths:
            if path not in self.resolved:
                self.resolved[path] = self.store(path)
            result[path] = self.resolved[path]
        return result

    def store(self, path):
        if self.trust_source_url:
            asset = MediaAsset.objects.filter(source_url=path).only("id", "checksum").first()
            if asset is not None:
                self.stats.add("media", "unchanged")
                return asset.pk, asset.checksum

        try:
            content = self.read(path)
        except ConnectorError as error:
            # One failed download must not stop the catalog import; the run counts it as failed.
            self.stats.add("media", "failed")
            logger.warning("media download failed", extra={"error_code": error.code, "status": error.status})
            return None
        if content is None:
            self.stats.missing_media += 1
            self.stats.missing_media_example = self.stats.missing_media_example or path
            return None

        checksum = hashlib.sha256(content).hexdigest()
        asset = MediaAsset.objects.filter(checksum=checksum).only("id").first()
        if asset is not None:
            self.stats.add("media", "unchanged")
            return asset.pk, checksum

        name = PurePosixPath(path).name
        asset = MediaAsset(
            checksum=checksum,
            original_name=name,
            source_url=path,
            mime_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
            size=len(content),
        )
        asset.file.save(name, ContentFile(content), save=False)
        asset.save()
        self.stats.add("media", "created")
        logger.info("media asset stored", extra={"media_asset_id": asset.pk, "size": len(content)})
        return asset.pk, checksum
