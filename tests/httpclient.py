"""A small HTTP client for tests that talk to a real server (the live server, a gunicorn): a
cookie jar, CSRF tokens for forms, JSON for the API. Redirects are followed, as a browser does;
error statuses are answers, not exceptions."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Answer:
    status: int
    url: str
    text: str
    headers: dict[str, str]

    def json(self):
        return json.loads(self.text)


class Http:
    def __init__(self, base_url: str, *, timeout: float = 30):
        self.base_url = base_url.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.timeout = timeout

    def _send(self, request: urllib.request.Request) -> Answer:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                body = response.read().decode("utf-8", "replace")
                return Answer(response.status, response.url, body, dict(response.headers))
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            return Answer(error.code, error.url, body, dict(error.headers))

    def get(self, path: str, *, headers: dict | None = None) -> Answer:
        return self._send(urllib.request.Request(self.base_url + path, headers=headers or {}))

    def csrf_token(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def post_form(self, path: str, data: dict, *, headers: dict | None = None) -> Answer:
        """POST a form as a browser would, with the CSRF token of an earlier page."""
        data = {"csrfmiddlewaretoken": self.csrf_token(), **data}
        request = urllib.request.Request(
            self.base_url + path,
            data=urllib.parse.urlencode(data).encode(),
            headers={"Referer": self.base_url + path, **(headers or {})},
            method="POST",
        )
        return self._send(request)

    def send_json(
        self, method: str, path: str, payload, *, token: str = "", headers: dict | None = None
    ) -> Answer:
        all_headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token:
            all_headers["Authorization"] = f"Token {token}"
        all_headers.update(headers or {})
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.base_url + path, data=body, headers=all_headers, method=method
        )
        return self._send(request)

    def login(self, username: str, password: str = "pw") -> Answer:
        self.get("/accounts/login/")
        answer = self.post_form("/accounts/login/", {"username": username, "password": password})
        assert answer.status == 200 and "/accounts/login/" not in answer.url, answer.text[:500]
        return answer
