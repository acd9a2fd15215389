# The guide's WebsiteUser, unchanged but for the host (given with -H).
import random

from locust import HttpUser, between, task


class WebsiteUser(HttpUser):
    wait_time = between(1, 2)

    @task(3)
    def view_hello(self):
        self.client.get("/hello", name="/hello_world")

    @task(2)
    def view_item(self):
        item_id = random.randint(1, 100)
        self.client.get(f"/items/{item_id}", name="/items/[item_id]")

    @task(1)
    def create_new_item(self):
        item_data = {"name": f"Test Item {random.randint(1, 1000)}", "price": round(random.uniform(10.0, 100.0), 2)}
        self.client.post("/create_item", json=item_data, name="/create_item")
