"""The Celery app. Broker and result backend come from settings: Redis, or kombu's filesystem
transport under var/ when REDIS_URL is unset."""

import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "srp.settings.dev")

app = Celery("srp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def ensure_filesystem_broker_folders(source=None, **_kwargs) -> None:
    """The filesystem transport needs its folders to exist before anyone sends or consumes.

    Runs once the configuration is read, in every process: a worker, and a web process or test
    that enqueues a task before any worker ever ran (the result backend refuses a missing folder).
    """
    conf = source if source is not None else app.conf
    if not conf.broker_url.startswith("filesystem://"):
        return
    options = conf.broker_transport_options
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        Path(options[key]).mkdir(parents=True, exist_ok=True)
    backend = conf.result_backend
    if backend.startswith("file://"):
        Path(backend.removeprefix("file://")).mkdir(parents=True, exist_ok=True)


app.on_after_configure.connect(ensure_filesystem_broker_folders)
