"""The benchmark behind `manage.py bench` (`make bench`): a synthetic network loaded into a database
of its own (`database`, `loader`), the pages measured in process through the whole middleware
stack (`measure`), a real gunicorn under wrk (`wrk`), and the results written and compared
(`report`). Nothing here is imported by the app itself."""
