"""Database triggers (django-pgtrigger) that the application cannot switch off.

pgtrigger's own triggers begin with a check of the session setting `pgtrigger.ignore`, which
`pgtrigger.ignore()` sets so that Python code can step around a trigger. Any session may set that
variable, so anyone who can send SQL could then UPDATE or DELETE "protected" rows. `Unignorable`
triggers (`AppendOnly`, and those keeping a copy of a client's nickname on her cases, which erasure
must reach) compile to the same trigger without that check: the only ways around it are DDL (dropping or
disabling the trigger), which needs the table's owner, and TRUNCATE, which `AppendOnly` leaves alone on
purpose (pytest's transactional tests flush with TRUNCATE; a real TRUNCATE of the access log is a
deliberate act of whoever owns the database, not something the application does).
"""

import pgtrigger
from pgtrigger import compiler


class UnignorableTriggerSql(compiler.UpsertTriggerSql):
    """pgtrigger's installation SQL (v1 template) without the `pgtrigger.ignore` escape hatch.

    Referenced by migrations: keep this template as it is; a change needs a new class."""

    def get_template(self) -> str:
        return """
            CREATE OR REPLACE FUNCTION {pgid}()
            RETURNS TRIGGER AS $$
                {declare}
                BEGIN
                    {func}
                END;
            $$ LANGUAGE plpgsql;

            DROP TRIGGER IF EXISTS {pgid} ON {table};
            CREATE {constraint} TRIGGER {pgid}
                {when} {operation} ON {table}
                {timing}
                {referencing}
                FOR EACH {level} {condition}
                EXECUTE PROCEDURE {execute};

            COMMENT ON TRIGGER {pgid} ON {table} IS '{hash}';
        """


class Unignorable(pgtrigger.Trigger):
    """A pgtrigger trigger compiled without the `pgtrigger.ignore` check (UnignorableTriggerSql):
    for the triggers whose skipping would break a promise (append-only rows, a copy that erasure
    must reach)."""

    def compile(self, model) -> compiler.Trigger:
        compiled = super().compile(model)
        return compiler.Trigger(name=compiled.name, sql=UnignorableTriggerSql(**compiled.sql.kwargs))


class AppendOnly(Unignorable):
    """Refuse every UPDATE and DELETE of the table's rows, whoever sends them (ORM or raw SQL).
    INSERT and SELECT are untouched, and so is TRUNCATE (see the module's docstring)."""

    when = pgtrigger.Before
    operation = pgtrigger.Update | pgtrigger.Delete
    level = pgtrigger.Row

    def get_func(self, model):
        return self.format_sql(
            """
            RAISE EXCEPTION 'The table % is append-only: % refused.', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'insufficient_privilege';
            """
        )
