using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Provisioning.Infrastructure.Persistence.Migrations
{
    /// <summary>
    /// The heirs <c>service_accounts_return_suffixed_key</c> looks for (<c>SuffixedNamesHeirInOrder</c>) — the tenant's
    /// accounts whose key is suffixed with their id, under the name freed — found through an index of their own, which
    /// holds only suffixed accounts (a few). The trigger read every account of the tenant each time a name was freed: a
    /// rename or deletion cost the tenant's size, and a tenant's deletion, which frees every name, its square (a probe:
    /// 5,000 accounts 4 s; 20,000 not deleted at all, 503 after 30 s and rolled back). Only where that function exists
    /// (PostgreSQL with ICU: the index is on the <c>canonical</c> collation it compares with). No model change (no target
    /// model): the index belongs to the trigger, not to a query of the model's. Its predicate as written here never matched
    /// the trigger's (the collation of its right side): <c>SuffixedHeirsIndexUsable</c> makes it again, usable.
    /// </summary>
    [DbContext(typeof(ProvisioningDbContext))]
    [Migration("20261205100000_SuffixedHeirsIndexed")]
    public partial class SuffixedHeirsIndexed : SchemaMigration
    {
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DO $outer$
                BEGIN
                    IF to_regproc('service_accounts_return_suffixed_key') IS NULL THEN
                        RETURN;
                    END IF;

                    CREATE INDEX ix_service_accounts_suffixed_heirs
                        ON service_accounts (tenant_id, (upper(btrim(display_name))) COLLATE canonical)
                        WHERE right(normalized_name, 25) COLLATE "C" = ' ' || id;
                END $outer$;
                """);
        }

        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS ix_service_accounts_suffixed_heirs;");
        }
    }
}
