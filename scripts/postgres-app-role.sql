-- The application's own PostgreSQL role (see README "Two database roles").
-- docker-compose.yml runs this once, when the database is first created; on another server run it as a
-- superuser (or a role with CREATEROLE). The schema's owner (DATABASE_OWNER_URL) runs the migrations and,
-- at every start, grants this role SELECT, INSERT on the ledger's append-only tables and
-- SELECT, INSERT, UPDATE, DELETE on the others; nothing more. Choose your own password.
CREATE ROLE shiftex_app LOGIN PASSWORD 'shiftex_app' NOSUPERUSER NOCREATEDB NOCREATEROLE;
