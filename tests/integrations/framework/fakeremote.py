"""A fake test shop API for delta pulls, served through `responses`.

It keeps items with UTC update times, sorts by (update time, id), pages by keyset and, like
many shop systems, renders and filters time stamps as naive local time in its own time zone.
"""

import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import responses


class FakeShopApi:
    def __init__(self, base_url, entity, tz_name="UTC"):
        self.url = f"{base_url}/{entity}"
        self.zone = ZoneInfo(tz_name)
        self.items = {}
        self.requests = []
        self.after_request = None
        self.fail_on_request = None

    def put(self, item_id, updated_at, **fields):
        self.items[item_id] = {"id": item_id, "updated_at": updated_at, **fields}

    def install(self, mock=responses):
        mock.add_callback(responses.GET, self.url, callback=self._handle)

    def local(self, moment):
        return moment.astimezone(self.zone).replace(tzinfo=None).isoformat()

    def _handle(self, request):
        params = {key: values[0] for key, values in parse_qs(urlsplit(request.url).query).items()}
        self.requests.append(params)
        if self.fail_on_request == len(self.requests):
            return 500, {}, json.dumps({"error": "internal"})

        rows = sorted(self.items.values(), key=lambda row: (row["updated_at"], row["id"]))
        if "updated_since" in params:
            # A naive local time, read as the first occurrence in a repeated hour.
            since = datetime.fromisoformat(params["updated_since"]).replace(tzinfo=self.zone).astimezone(UTC)
            after_id = params.get("after_id", "")
            if after_id:
                rows = [row for row in rows if (row["updated_at"], row["id"]) > (since, after_id)]
            else:
                rows = [row for row in rows if row["updated_at"] >= since]
        page = rows[: int(params["limit"])]
        body = {"items": [{**row, "updated_at": self.local(row["updated_at"])} for row in page]}

        if self.after_request:
            self.after_request(len(self.requests))
        return 200, {}, json.dumps(body)
