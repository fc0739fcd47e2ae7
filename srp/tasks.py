from celery import shared_task


@shared_task(name="srp.ping")
def ping() -> str:
    """A task that does nothing but answer: proves a worker takes tasks from the broker."""
    return "pong"
