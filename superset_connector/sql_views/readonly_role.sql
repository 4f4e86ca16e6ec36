-- Read-only PostgreSQL role for Superset, for a DBA: use it when Odoo's database user may
-- not create roles (no CREATEROLE). It gives what the "Create read-only role" action of
-- superset_connector gives (superset.analytics.view._apply_readonly_role): the role may
-- log in and SELECT the views of schema superset_analytics - those created later too -
-- and nothing else.
--
-- Run it in the Odoo database, as a superuser:
--
--   psql -d <odoo database> -v role=<role> -v odoo_role=<Odoo's database user> -f readonly_role.sql
--
-- then set the role's password in psql - \password sends a SCRAM verifier, never the
-- password itself:
--
--   \password <role>
--
-- and give Odoo the same name and password, so that the Superset database connection uses
-- them: SUPERSET_CONNECTOR_ANALYTICS_DB_ROLE and SUPERSET_CONNECTOR_ANALYTICS_DB_PASSWORD in
-- its environment, or superset_connector_analytics_db_role and
-- superset_connector_analytics_db_password in odoo.conf.
--
-- Safe to run again: it also takes back what the role may have been given since.

\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I', :'role')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec

ALTER ROLE :"role" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOREPLICATION NOBYPASSRLS
    CONNECTION LIMIT 20;
-- Sessions are read-only by default and their statements bounded.
ALTER ROLE :"role" SET default_transaction_read_only = on;
ALTER ROLE :"role" SET statement_timeout = '120s';

-- Memberships would bring other roles' privileges along.
SELECT format('REVOKE %I FROM %I', g.rolname, :'role')
  FROM pg_auth_members m
  JOIN pg_roles g ON g.oid = m.roleid
  JOIN pg_roles r ON r.oid = m.member
 WHERE r.rolname = :'role' \gexec

-- Privileges given in other schemas.
SELECT format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM %I', nspname, :'role'),
       format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM %I', nspname, :'role'),
       format('REVOKE ALL ON ALL FUNCTIONS IN SCHEMA %I FROM %I', nspname, :'role'),
       format('REVOKE CREATE ON SCHEMA %I FROM %I', nspname, :'role')
  FROM pg_namespace
 WHERE left(nspname, 3) <> 'pg_' AND nspname <> 'information_schema' \gexec

-- Odoo grants CREATE on schema public to PUBLIC when it creates a database (PostgreSQL 15
-- no longer does): every role, this one included, could create tables there. Odoo itself
-- owns the database and does not need it.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS superset_analytics AUTHORIZATION :"odoo_role";
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'role') \gexec
GRANT USAGE ON SCHEMA superset_analytics TO :"role";
GRANT SELECT ON ALL TABLES IN SCHEMA superset_analytics TO :"role";
-- Views Odoo creates later (an app installed after this script) are readable too.
ALTER DEFAULT PRIVILEGES FOR ROLE :"odoo_role" IN SCHEMA superset_analytics GRANT SELECT ON TABLES TO :"role";
