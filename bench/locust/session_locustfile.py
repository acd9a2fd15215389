"""The session flow of examples/fastapi/session.yml, as a Locust user:
form login (303, cookies), pages, notes with the CSRF header, logout."""
import os

from locust import HttpUser, between, task


class Member(HttpUser):
    wait_time = between(0.1, 0.3)

    def on_start(self):
        with self.client.post("/accounts/login", data={"username": "testuser",
                              "password": os.environ.get("LOGIN_PASSWORD", "password")},
                              name="login", catch_response=True) as r:
            if "Welcome" not in r.text:
                r.failure("login failed")
                self.environment.runner.quit()

    @task(3)
    def home(self):
        with self.client.get("/accounts/home", name="home", catch_response=True) as r:
            if "Welcome" not in r.text:
                r.failure("not logged in")

    @task
    def note(self):
        self.client.post("/accounts/notes", json={"text": "a note"}, name="note",
                         headers={"X-CSRFToken": self.client.cookies.get("csrftoken", "")})

    def on_stop(self):
        self.client.get("/accounts/logout", name="logout")
