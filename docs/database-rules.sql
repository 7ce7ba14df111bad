-- The functions and triggers the migrations leave in the database: the service's rules that live in SQL — the budgets
-- (budget_reserve), the app and service-account counters, "is this tenant or an ancestor suspended", the revocation
-- notices, the audit events' ids and viewer rows, the Idempotency-Key claim, no secret under a retired master key — as
-- they stand now. Read them here; change one with a new migration that replaces it whole (docs/architecture.md, "A rule
-- that lives in SQL"), never here: this file is generated from a migrated database by the integration test
-- DatabaseRulesDocTests, which fails while it differs (PROVISIONING_UPDATE_DOCS=1 rewrites it).
-- BEGIN generated from a migrated database by DatabaseRulesDocTests
CREATE OR REPLACE FUNCTION public.app_grants_within_one_tenant()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    app_tenant text := (SELECT tenant_id FROM apps WHERE id = NEW.app_id);
    account_tenant text := (SELECT tenant_id FROM service_accounts WHERE id = NEW.service_account_id);
BEGIN
    -- Either gone (deleted meanwhile): the foreign keys' answer (23503), which the service knows, not this one.
    IF app_tenant <> account_tenant THEN
        RAISE EXCEPTION 'a grant pairs a service account and an app of one tenant (service account %, app %)',
            NEW.service_account_id, NEW.app_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ck_app_grants_within_one_tenant';
    END IF;
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.audit_event_horizon()
 RETURNS text
 LANGUAGE sql
AS $function$
  SELECT lpad(to_hex(floor(extract(epoch FROM least(statement_timestamp(), min(a.xact_start))) * 1000)::bigint), 12, '0')
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'relation' AND l.relation = 'audit_events'::regclass AND l.mode = 'RowExclusiveLock'
    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    AND l.pid <> pg_backend_pid()
$function$;

CREATE OR REPLACE FUNCTION public.audit_event_id()
 RETURNS character varying
 LANGUAGE plpgsql
AS $function$
DECLARE
  micros bigint := floor(extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
  previous text := current_setting('provisioning.event_order', true);
  n bigint;
BEGIN
  IF previous IS NULL OR previous = '' THEN
    -- 38 of a version-4 UUID's random bits (its first 10 hex digits are random): random() is a session's
    -- own generator, whose state a few ids of one session would give away, and with it what else drew from it.
    n := ('x' || substr(replace(gen_random_uuid()::text, '-', ''), 1, 10))::bit(40)::bigint & 274877906943; -- 2^38 - 1
  ELSE
    n := (previous::bigint + 1) & 274877906943;
  END IF;
  PERFORM set_config('provisioning.event_order', n::text, true);
  RETURN lpad(to_hex(micros / 1000), 12, '0') || lpad(to_hex(((micros % 1000) << 38) | n), 12, '0');
END $function$;

CREATE OR REPLACE FUNCTION public.audit_event_viewers_fill()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    INSERT INTO audit_event_viewers (viewer_tenant_id, event_id, type)
    SELECT unnest(coalesce((SELECT path FROM tenants WHERE id = NEW.tenant_id), ARRAY[NEW.tenant_id]::text[])), NEW.id, NEW.type;
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.budget_lock_key(tenant text, budget_lock bigint)
 RETURNS bigint
 LANGUAGE sql
 IMMUTABLE PARALLEL SAFE
AS $function$ SELECT hashtextextended(tenant, budget_lock) $function$;

CREATE OR REPLACE PROCEDURE public.budget_reserve(IN reserve_kind text, IN reserve_tenant text, IN budget_lock bigint)
 LANGUAGE plpgsql
AS $procedure$
DECLARE
    passed_id text;
    passed_limit integer;
BEGIN
    PERFORM budget_share_path(reserve_tenant, budget_lock);
    IF tenant_or_ancestor_suspended(reserve_tenant) THEN
        RAISE EXCEPTION 'tenant suspended' USING ERRCODE = 'PX403';
    END IF;
    IF reserve_kind = 'apps' THEN
        PERFORM 1 FROM tenants
        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_apps IS NOT NULL
        ORDER BY cardinality(path)
        FOR NO KEY UPDATE;
        IF FOUND THEN
            WITH counted AS (
                UPDATE tenants SET subtree_apps = subtree_apps + 1
                WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_apps IS NOT NULL
                RETURNING id, subtree_apps > max_apps AS passed, max_apps AS budget)
            SELECT id, budget INTO passed_id, passed_limit FROM counted WHERE passed LIMIT 1;
        END IF;
    ELSIF reserve_kind = 'tenants' THEN
        PERFORM 1 FROM tenants
        WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_tenants IS NOT NULL
        ORDER BY cardinality(path)
        FOR NO KEY UPDATE;
        IF FOUND THEN
            WITH counted AS (
                UPDATE tenants SET descendant_tenants = descendant_tenants + 1
                WHERE id IN (SELECT unnest(path) FROM tenants WHERE id = reserve_tenant) AND max_tenants IS NOT NULL
                RETURNING id, descendant_tenants > max_tenants AS passed, max_tenants AS budget)
            SELECT id, budget INTO passed_id, passed_limit FROM counted WHERE passed LIMIT 1;
        END IF;
    ELSE
        RAISE EXCEPTION 'unknown budget kind %', reserve_kind;
    END IF;
    IF passed_id IS NOT NULL THEN
        RAISE EXCEPTION '% % %', reserve_kind, passed_limit,
            CASE WHEN passed_id = reserve_tenant THEN 'self' ELSE 'ancestor' END
            USING ERRCODE = 'PX402';
    END IF;
END $procedure$;

CREATE OR REPLACE FUNCTION public.budget_share_path(tenant text, budget_lock bigint)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(budget_lock); -- what instances before this migration take whole
    PERFORM pg_advisory_xact_lock_shared(budget_lock_key(p.id, budget_lock))
    FROM tenants t, unnest(t.path) AS p(id) WHERE t.id = tenant;
END $function$;

CREATE OR REPLACE FUNCTION public.count_deleted_tenant_apps()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    gone record;
    free smallint;
BEGIN
    -- deleted_apps: the statement's deleted rows. Tenants in id order, so two statements spanning the same
    -- tenants that must wait for a slot wait in the same order.
    FOR gone IN SELECT tenant_id, count(*)::integer AS apps FROM deleted_apps GROUP BY tenant_id ORDER BY tenant_id LOOP
        SELECT slot INTO free FROM tenant_app_counts WHERE tenant_id = gone.tenant_id LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            UPDATE tenant_app_counts SET apps = apps - gone.apps WHERE tenant_id = gone.tenant_id AND slot = free;
        ELSE
            -- Every slot held by another transaction: wait for the first. None at all: the tenant itself is
            -- being deleted (its counters went with it), and there is nothing to change.
            UPDATE tenant_app_counts SET apps = apps - gone.apps
            WHERE tenant_id = gone.tenant_id
              AND slot = (SELECT min(slot) FROM tenant_app_counts WHERE tenant_id = gone.tenant_id);
        END IF;
    END LOOP;
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.count_deleted_tenant_service_accounts()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    gone record;
    free smallint;
BEGIN
    DELETE FROM service_account_grant_versions WHERE service_account_id IN (SELECT id FROM deleted_service_accounts);
    -- As count_deleted_tenant_apps: tenants in id order, each one's deleted accounts taken off one slot.
    FOR gone IN SELECT tenant_id, count(*)::integer AS accounts FROM deleted_service_accounts GROUP BY tenant_id ORDER BY tenant_id LOOP
        SELECT slot INTO free FROM tenant_service_account_counts WHERE tenant_id = gone.tenant_id LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            UPDATE tenant_service_account_counts SET accounts = accounts - gone.accounts WHERE tenant_id = gone.tenant_id AND slot = free;
        ELSE
            -- Every slot held by another transaction: wait for the first. None at all: no account was
            -- counted (not through the API: every account is), and there is nothing to change.
            UPDATE tenant_service_account_counts SET accounts = accounts - gone.accounts
            WHERE tenant_id = gone.tenant_id
              AND slot = (SELECT min(slot) FROM tenant_service_account_counts WHERE tenant_id = gone.tenant_id);
        END IF;
    END LOOP;
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.count_tenant_apps()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    free smallint;
BEGIN
    -- Two statements, not an UPDATE joined to a SKIP LOCKED subquery: the lock is taken first, and the
    -- UPDATE (a statement of its own, so a fresh snapshot) changes exactly the row it holds.
    SELECT slot INTO free FROM tenant_app_counts WHERE tenant_id = NEW.tenant_id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE tenant_app_counts SET apps = apps + 1 WHERE tenant_id = NEW.tenant_id AND slot = free;
    ELSE
        INSERT INTO tenant_app_counts (tenant_id, slot, apps)
        VALUES (NEW.tenant_id, (SELECT coalesce(max(slot) + 1, 0) FROM tenant_app_counts WHERE tenant_id = NEW.tenant_id), 1)
        ON CONFLICT (tenant_id, slot) DO UPDATE SET apps = tenant_app_counts.apps + 1;
    END IF;
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.count_tenant_service_accounts()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    free smallint;
BEGIN
    -- As count_tenant_apps: the lock is taken first, then the UPDATE changes exactly the row it holds.
    SELECT slot INTO free FROM tenant_service_account_counts WHERE tenant_id = NEW.tenant_id LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE tenant_service_account_counts SET accounts = accounts + 1 WHERE tenant_id = NEW.tenant_id AND slot = free;
    ELSE
        INSERT INTO tenant_service_account_counts (tenant_id, slot, accounts)
        VALUES (NEW.tenant_id, (SELECT coalesce(max(slot) + 1, 0) FROM tenant_service_account_counts WHERE tenant_id = NEW.tenant_id), 1)
        ON CONFLICT (tenant_id, slot) DO UPDATE SET accounts = tenant_service_account_counts.accounts + 1;
    END IF;
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.delete_counters_of_deleted_tenants()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    DELETE FROM tenant_service_account_counts WHERE tenant_id IN (SELECT id FROM deleted_tenants);
    RETURN NULL;
END $function$;

CREATE OR REPLACE PROCEDURE public.idempotency_claim(IN claim_scope text, IN claim_key text, IN lock_seed bigint)
 LANGUAGE plpgsql
AS $procedure$
BEGIN
    IF NOT pg_try_advisory_xact_lock(hashtextextended(claim_scope || chr(31) || claim_key, lock_seed)) THEN
        RAISE EXCEPTION 'Idempotency-Key held by a running request' USING ERRCODE = 'PX409';
    END IF;
    IF EXISTS (SELECT 1 FROM idempotency_records r WHERE r.scope = claim_scope AND r.key = claim_key) THEN
        RAISE EXCEPTION 'Idempotency-Key already answered' USING ERRCODE = 'PX200';
    END IF;
END $procedure$;

CREATE OR REPLACE FUNCTION public.note_revoked(entry text)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
DECLARE
    noted text := coalesce(current_setting('provisioning.revoked_keys', true), '');
BEGIN
    IF noted = '*' THEN
        RETURN; -- everything already
    ELSIF length(noted) + length(entry) >= 8000 THEN
        PERFORM set_config('provisioning.revoked_keys', '*', true);
    ELSE
        PERFORM set_config('provisioning.revoked_keys', noted || ',' || entry, true);
    END IF;
END $function$;

CREATE OR REPLACE FUNCTION public.refuse_answer_under_retired_master_key()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF under_retired_master_key(NEW.protected_body) THEN
        RAISE EXCEPTION 'A stored answer was not written: the instance writing it has a Provisioning:Secrets:MasterKey a finished rotate-secrets retired. Restart it with the key the last finished rotation moved the secrets to (docs/operations.md, "Rotate the master key").'
            USING ERRCODE = 'PX503', DETAIL = format('An answer of credential %s.', NEW.scope);
    END IF;
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.refuse_secret_under_retired_master_key()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    IF under_retired_master_key(NEW.protected_secret) THEN
        RAISE EXCEPTION 'A key secret was not written: the instance writing it has a Provisioning:Secrets:MasterKey a finished rotate-secrets retired. Restart it with the key the last finished rotation moved the secrets to (docs/operations.md, "Rotate the master key").'
            USING ERRCODE = 'PX503', DETAIL = format('The secret of key %s.', NEW.id);
    END IF;
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.revoke_api_key()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_notify('provisioning_credentials_revoked', OLD.id);
    PERFORM note_revoked(OLD.id);
    RETURN OLD;
END $function$;

CREATE OR REPLACE FUNCTION public.revoke_tenant_credentials()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    PERFORM pg_notify('provisioning_credentials_revoked', 't:' || NEW.id || ',*');
    PERFORM note_revoked('t:' || NEW.id || ',*');
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.service_account_grants_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    account text;
    free smallint;
BEGIN
    -- Gone with its account (no list left; the account first: its deletion takes the most grants at once)
    -- or its app (whose tenant's version changes).
    IF TG_OP = 'DELETE' AND (NOT EXISTS (SELECT 1 FROM service_accounts WHERE id = OLD.service_account_id)
                             OR NOT EXISTS (SELECT 1 FROM apps WHERE id = OLD.app_id)) THEN
        RETURN NULL;
    END IF;

    FOREACH account IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.service_account_id]
                                        WHEN 'DELETE' THEN ARRAY[OLD.service_account_id]
                                        ELSE ARRAY[OLD.service_account_id, NEW.service_account_id] END LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM service_account_grant_versions
                              WHERE service_account_id = account AND xmin = pg_current_xact_id()::xid);
        -- As count_tenant_apps: the lock is taken first, then the UPDATE rewrites exactly the row it holds.
        SELECT slot INTO free FROM service_account_grant_versions WHERE service_account_id = account LIMIT 1 FOR UPDATE SKIP LOCKED;
        IF FOUND THEN
            UPDATE service_account_grant_versions SET slot = free WHERE service_account_id = account AND slot = free;
        ELSE
            INSERT INTO service_account_grant_versions AS v (service_account_id, slot)
            VALUES (account, (SELECT coalesce(max(slot) + 1, 0) FROM service_account_grant_versions WHERE service_account_id = account))
            ON CONFLICT (service_account_id, slot) DO UPDATE SET slot = v.slot;
        END IF;
    END LOOP;
    RETURN NULL;
END $function$;

CREATE OR REPLACE FUNCTION public.service_accounts_return_suffixed_key()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
    DECLARE
        heir text;
    BEGIN
        IF right(OLD.normalized_name, 25) COLLATE "C" = ' ' || OLD.id THEN
            RETURN NULL;
        END IF;
        IF TG_OP = 'UPDATE' AND OLD.normalized_name = NEW.normalized_name THEN
            RETURN NULL;
        END IF;
        FOR heir IN
            SELECT s.id FROM service_accounts s
            WHERE s.tenant_id = OLD.tenant_id
              AND right(s.normalized_name, 25) COLLATE "C" = ' ' || s.id
              AND upper(btrim(s.display_name) COLLATE "C") COLLATE canonical = OLD.normalized_name
            ORDER BY s.created_at, s.id
        LOOP
            BEGIN
                UPDATE service_accounts SET normalized_name = upper(btrim(display_name) COLLATE "C")
                WHERE id = heir
                  AND right(normalized_name, 25) COLLATE "C" = ' ' || id
                  AND upper(btrim(display_name) COLLATE "C") COLLATE canonical = OLD.normalized_name;
                IF FOUND THEN
                    RETURN NULL;
                END IF;
            EXCEPTION WHEN unique_violation THEN
                RETURN NULL;
            END;
        END LOOP;
        RETURN NULL;
    END $function$;

CREATE OR REPLACE FUNCTION public.tenant_or_ancestor_suspended(tenant text)
 RETURNS boolean
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
AS $function$
BEGIN
    RETURN EXISTS (SELECT 1 FROM tenants s WHERE s.status = 'suspended'
                   AND s.id IN (SELECT unnest(t.path) FROM tenants t WHERE t.id = tenant));
END $function$;

CREATE OR REPLACE FUNCTION public.tenants_suspension_holder_cleared()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
    NEW.suspended_by := NULL;
    RETURN NEW;
END $function$;

CREATE OR REPLACE FUNCTION public.under_retired_master_key(protected bytea)
 RETURNS boolean
 LANGUAGE plpgsql
AS $function$
BEGIN
    RETURN get_byte(protected, 0) IN (2, 3)
       AND EXISTS (SELECT FROM retired_master_keys WHERE key_id = substring(protected FROM 2 FOR 4))
       AND NOT EXISTS (SELECT FROM master_key_check
                       WHERE get_byte(value, 0) IN (2, 3) AND substring(value FROM 2 FOR 4) = substring(protected FROM 2 FOR 4));
END $function$;

CREATE TRIGGER api_keys_revoke AFTER DELETE ON public.api_keys FOR EACH ROW EXECUTE FUNCTION revoke_api_key();
CREATE TRIGGER api_keys_revoke_on_disable AFTER UPDATE OF disabled ON public.api_keys FOR EACH ROW WHEN ((old.disabled IS DISTINCT FROM new.disabled)) EXECUTE FUNCTION revoke_api_key();
CREATE TRIGGER api_keys_secret_under_a_usable_master_key BEFORE INSERT OR UPDATE OF protected_secret ON public.api_keys FOR EACH ROW EXECUTE FUNCTION refuse_secret_under_retired_master_key();
CREATE TRIGGER app_grants_versioned AFTER INSERT OR DELETE OR UPDATE OF service_account_id, app_id ON public.app_grants FOR EACH ROW EXECUTE FUNCTION service_account_grants_changed();
CREATE TRIGGER app_grants_within_one_tenant BEFORE INSERT OR UPDATE OF service_account_id, app_id ON public.app_grants FOR EACH ROW EXECUTE FUNCTION app_grants_within_one_tenant();
CREATE TRIGGER apps_count_per_tenant AFTER INSERT ON public.apps FOR EACH ROW EXECUTE FUNCTION count_tenant_apps();
CREATE TRIGGER apps_uncounted_per_statement AFTER DELETE ON public.apps REFERENCING OLD TABLE AS deleted_apps FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_tenant_apps();
CREATE TRIGGER audit_events_viewers AFTER INSERT ON public.audit_events FOR EACH ROW EXECUTE FUNCTION audit_event_viewers_fill();
CREATE TRIGGER idempotency_records_answer_under_a_usable_master_key BEFORE INSERT OR UPDATE OF protected_body ON public.idempotency_records FOR EACH ROW EXECUTE FUNCTION refuse_answer_under_retired_master_key();
CREATE TRIGGER service_accounts_count_per_tenant AFTER INSERT ON public.service_accounts FOR EACH ROW EXECUTE FUNCTION count_tenant_service_accounts();
CREATE TRIGGER service_accounts_name_freed AFTER DELETE OR UPDATE ON public.service_accounts FOR EACH ROW EXECUTE FUNCTION service_accounts_return_suffixed_key();
CREATE TRIGGER service_accounts_uncounted_per_statement AFTER DELETE ON public.service_accounts REFERENCING OLD TABLE AS deleted_service_accounts FOR EACH STATEMENT EXECUTE FUNCTION count_deleted_tenant_service_accounts();
CREATE TRIGGER tenants_counters_deleted AFTER DELETE ON public.tenants REFERENCING OLD TABLE AS deleted_tenants FOR EACH STATEMENT EXECUTE FUNCTION delete_counters_of_deleted_tenants();
CREATE TRIGGER tenants_status_revoke AFTER UPDATE OF status ON public.tenants FOR EACH ROW WHEN (((old.status)::text IS DISTINCT FROM (new.status)::text)) EXECUTE FUNCTION revoke_tenant_credentials();
CREATE TRIGGER tenants_suspension_holder_cleared BEFORE UPDATE OF status ON public.tenants FOR EACH ROW WHEN ((((new.status)::text = 'active'::text) AND (new.suspended_by IS NOT NULL))) EXECUTE FUNCTION tenants_suspension_holder_cleared();
-- END generated
