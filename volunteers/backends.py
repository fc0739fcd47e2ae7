import functools
import threading

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import Exists, OuterRef

from srp.scope_cache import adopt_preloaded, preload_annotations
from volunteers.adapters import SECOND_FACTORS


@functools.cache
def _users_with_scope():
    """The users with their profile, second-factor flag and scope annotations: built once per
    process, as building it (a dozen subqueries) cost ~6 ms of every request; `_UserQuery`
    compiles a filtered clone of it once per thread, so it is never evaluated itself."""
    second_factor = Authenticator.objects.filter(user_id=OuterRef("pk"), type__in=SECOND_FACTORS)
    return (
        get_user_model()
        ._default_manager.select_related("volunteer")
        .annotate(srp_has_second_factor=Exists(second_factor), **preload_annotations())
    )


# A user id no one has: the place of the id among the compiled query's parameters.
_PLACEHOLDER_ID = -7_341_902_558
_compiled = threading.local()


class _PreparedCursor(ServerBindingCursor):
    """A cursor whose statements are prepared on the server the first time a connection runs them
    and reused after. Django's own cursor binds parameters on the client, which psycopg never
    prepares; this one binds them on the server (psycopg's `Cursor`, as Django's
    `server_side_binding` option makes every cursor)."""

    def execute(self, query, params=None, *, prepare=True, binary=None):
        return super().execute(query, params, prepare=prepare, binary=binary)

    def _send_query_prepared(self, name, pgq, *, binary=None):
        # psycopg records the query it ran (`_query`, which Django's query log reads) only when it
        # sends its text; a prepared run sends its name. Recorded here too, with its placeholders.
        self._query = pgq
        super()._send_query_prepared(name, pgq, binary=binary)


def _cursor(connection):
    """A `_PreparedCursor` wrapped as Django wraps its own (`connection.cursor()`): counted, logged,
    and run through the connection's `execute_wrapper`s."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_PreparedCursor(connection.connection))


class _UserQuery:
    """The request user's query (`_users_with_scope`), compiled to SQL once per thread and then
    run with each request's user id: loading the user took 9.5 ms through the ORM and takes 4.7 ms
    so (`make bench`'s database), half of it spent compiling the same dozen subqueries again.

    The rows become a user, its volunteer profile and its annotations exactly as Django's
    ModelIterable makes them, from the compiler's own description of the columns (its converters
    included). It runs through Django's cursor wrapper, so it is counted, logged and wrapped like
    any query.

    It is also the one statement prepared on the server (`_PreparedCursor`): planning its dozen
    subqueries cost more than running them. With the pool a connection keeps its prepared
    statements; PostgreSQL plans the first five runs, then reuses a generic plan (the 1M bench:
    2.9 -> 0.8 ms p50 a load, on every request). Without a pool (development) each request's new
    connection prepares it again, which costs one more round trip: tried before the pool, it cost
    5.4 ms against 4.7."""

    def __init__(self):
        from django.db.models.query import get_related_populators

        queryset = _users_with_scope().filter(pk=_PLACEHOLDER_ID)
        self.db = queryset.db
        self.compiler = queryset.query.get_compiler(using=self.db)
        self.sql, params = self.compiler.as_sql()
        self.params = list(params)
        self.position = self.params.index(_PLACEHOLDER_ID)
        select, klass_info = self.compiler.select, self.compiler.klass_info
        self.model = klass_info["model"]
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        self.related_populators = get_related_populators(klass_info, select, self.db)
        self.annotations = dict(self.compiler.annotation_col_map or {})

    @classmethod
    def for_thread(cls) -> "_UserQuery":
        query = getattr(_compiled, "user_query", None)
        if query is None:
            query = _compiled.user_query = cls()
        return query

    def get(self, user_id):
        from django.db import connections

        params = list(self.params)
        params[self.position] = user_id
        connection = connections[self.db]
        with _cursor(connection) as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchmany(1)
        for row in self.compiler.results_iter([rows]):
            user = self.model.from_db(self.db, self.init_list, row[self.start : self.end])
            for populator in self.related_populators:
                populator.populate(row, user)
            for name, position in self.annotations.items():
                setattr(user, name, row[position])
            return user
        return None


class AuthenticationBackend(AllauthBackend):
    """allauth's sign-in by username or e-mail; the user of each request comes with their volunteer
    profile (language, time zone, display name), whether they have a second factor
    (`srp_has_second_factor`, for SecondFactorRequiredMiddleware), their region and case scope and
    their global permissions (srp.scope_cache.preload_annotations) in the same query."""

    def authenticate(self, request, **credentials):
        self._emails_checked = set()
        return super().authenticate(request, **credentials)

    def _authenticate_by_email(self, email, password):
        """allauth tries an e-mail login both as an e-mail address and (as usernames might look
        like one) as a username, which again looks it up by e-mail: the password of an existing
        account was then hashed twice, an unknown one once, so the time told whether the address
        has an account. Each address is checked once."""
        key = (email or "").strip().lower()
        if key in self._emails_checked:
            return None
        self._emails_checked.add(key)
        return super()._authenticate_by_email(email, password)

    def get_user(self, user_id):
        try:
            user_id = get_user_model()._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        user = _UserQuery.for_thread().get(user_id)
        if user is None or not self.user_can_authenticate(user):
            return None
        adopt_preloaded(user)
        return user
