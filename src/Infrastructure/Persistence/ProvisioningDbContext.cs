using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Provisioning.Application.Common.Abstractions;
using Provisioning.Domain.Apps;
using Provisioning.Domain.Audit;
using Provisioning.Domain.Common;
using Provisioning.Domain.Credentials;
using Provisioning.Domain.ServiceAccounts;
using Provisioning.Domain.Tenants;

namespace Provisioning.Infrastructure.Persistence;

public sealed class ProvisioningDbContext : DbContext, IProvisioningDbContext
{
    public ProvisioningDbContext(DbContextOptions<ProvisioningDbContext> options)
        : base(options)
    {
        // Every transaction here is a command's, and the unit of work rolls it back whole on any failure: a savepoint
        // around each SaveChanges (EF's default inside a transaction) would be two more round trips per command
        // (SAVEPOINT, RELEASE) for a partial rollback nothing uses. Pooled contexts keep this setting across leases.
        Database.AutoSavepointsEnabled = false;
    }

    /// <summary>
    /// EF's command timeout of this context, when one was set (the <c>delete-tenant</c> verb lifts it: 0), onto a command or
    /// batch built on its connection, which would otherwise take the connection string's (30 s by default).
    /// </summary>
    internal void FollowCommandTimeout(System.Data.Common.DbCommand command)
    {
        if (Database.GetCommandTimeout() is { } seconds)
        {
            command.CommandTimeout = seconds;
        }
    }

    /// <inheritdoc cref="FollowCommandTimeout(System.Data.Common.DbCommand)"/>
    internal void FollowCommandTimeout(System.Data.Common.DbBatch batch)
    {
        if (Database.GetCommandTimeout() is { } seconds)
        {
            batch.Timeout = seconds;
        }
    }

    public DbSet<Tenant> Tenants => Set<Tenant>();
    public DbSet<TenantUser> TenantUsers => Set<TenantUser>();
    public DbSet<App> Apps => Set<App>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<ProvisioningKey> ProvisioningKeys => Set<ProvisioningKey>();
    public DbSet<ServiceAccount> ServiceAccounts => Set<ServiceAccount>();
    public DbSet<AppGrant> AppGrants => Set<AppGrant>();
    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();
    IQueryable<AuditEvent> IProvisioningDbContext.AuditEvents => AuditEvents;
    public IQueryable<App> AppsGrantedTo(TenantId tenant, ServiceAccountId account) => GrantedApps.Of(this, tenant, account);
    internal DbSet<Audit.AuditEventViewer> AuditEventViewers => Set<Audit.AuditEventViewer>();
    internal DbSet<Idempotency.IdempotencyRecord> IdempotencyRecords => Set<Idempotency.IdempotencyRecord>();

    /// <summary>
    /// What must run first in the current transaction, in order (see <see cref="LeadingStatement"/>); sent with the next
    /// command and then forgotten. The unit of work forgets it too when the transaction ends.
    /// </summary>
    private List<LeadingStatement>? _leading;

    /// <summary>
    /// Queues <paramref name="statement"/> to go in front of the current transaction's next command. There must be one
    /// (the unit of work's): outside it, the statement would run in a transaction of its own and take nothing with it.
    /// </summary>
    internal void Lead(LeadingStatement statement)
    {
        if (Database.CurrentTransaction is null)
        {
            throw new InvalidOperationException("A leading statement needs the unit of work's transaction; send the change as a command.");
        }

        (_leading ??= []).Add(statement);
    }

    /// <summary>The queued leading statements, forgotten here (the unit of work sends them with its COMMIT, or drops them).</summary>
    internal List<LeadingStatement>? TakeLeading()
    {
        var leading = _leading;
        _leading = null;
        return leading;
    }

    /// <summary>
    /// Sends the queued leading statements with <paramref name="command"/>, a command of the current transaction: in
    /// front of its statements; before a command whose results are read by statement position
    /// (<paramref name="readByPosition"/>: EF's save counts the rows of its n-th statement, so nothing can go in front of
    /// them), in a round trip of their own. Left queued for a command with positional parameters.
    /// </summary>
    internal async ValueTask SendLeadingWithAsync(System.Data.Common.DbCommand command, bool readByPosition, CancellationToken cancellationToken)
    {
        if (OwnRoundTrip(command, readByPosition) is { } batch)
        {
            await using (batch)
            {
                await batch.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    /// <summary><see cref="SendLeadingWithAsync"/> for EF's synchronous calls.</summary>
    internal void SendLeadingWith(System.Data.Common.DbCommand command, bool readByPosition)
    {
        using var batch = OwnRoundTrip(command, readByPosition);
        batch?.ExecuteNonQuery();
    }

    /// <summary>Puts the queued statements in front of <paramref name="command"/> where they can go; else the batch to send first.</summary>
    private Npgsql.NpgsqlBatch? OwnRoundTrip(System.Data.Common.DbCommand command, bool readByPosition)
    {
        if (_leading is not { } leading || command.Transaction is not Npgsql.NpgsqlTransaction transaction)
        {
            return null;
        }

        if (!readByPosition)
        {
            if (LeadingStatement.TryPrependTo(command, leading))
            {
                _leading = null;
            }

            return null;
        }

        _leading = null;
        var batch = new Npgsql.NpgsqlBatch((Npgsql.NpgsqlConnection)command.Connection!, transaction);
        leading.ForEach(l => batch.BatchCommands.Add(l.ToBatchCommand()));
        return batch;
    }

    /// <summary>Set when a DELETE or UPDATE was sent in this context (see <see cref="Credentials.Revocation"/>); the unit of work resets it.</summary>
    internal bool MayHaveRevokedCredentials { get; set; }

    /// <summary>
    /// Races between requests are expected outcomes, not faults, each logged as such, never with a stack trace:
    /// <list type="bullet">
    /// <item>a unique index refusing a row (two requests racing for one name) is a
    /// <see cref="Application.Common.Exceptions.ConflictException"/> (409);</item>
    /// <item>a row this request read and then changed or deleted, gone before its write (two deletes of one app), and a
    /// row inserted under a parent another request just deleted (a key for an app being deleted) are a
    /// <see cref="Application.Common.Exceptions.NotFoundException"/> (404) of what is gone: the answer the later request
    /// would have had a moment later. The transaction rolls back with it.</item>
    /// </list>
    /// </summary>
    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        catch (DbUpdateException ex) when (PostgresError.In(ex) is { SqlState: Npgsql.PostgresErrorCodes.UniqueViolation } unique)
        {
            // A name a racing create took between the pre-check and this save: the pre-check's own answer.
            if (ex.Entries.Select(e => e.Entity).OfType<ServiceAccount>().FirstOrDefault() is { } account
                && unique.ConstraintName == ServiceAccountNameIndex)
            {
                throw Application.ServiceAccounts.ServiceAccountNames.NameTaken(account.DisplayName);
            }

            throw new Application.Common.Exceptions.ConflictException("A record with these values already exists.");
        }
        catch (DbUpdateConcurrencyException ex)
        {
            throw Application.Common.Exceptions.NotFoundException.Of(ex.Entries.FirstOrDefault()?.Metadata.ClrType);
        }
        catch (DbUpdateException ex) when (PostgresError.In(ex) is { SqlState: Npgsql.PostgresErrorCodes.ForeignKeyViolation } fk
                                           && InsertsUnderAGoneParent(ex, fk))
        {
            throw Application.Common.Exceptions.NotFoundException.Of(ForeignKeyNamed(fk.ConstraintName)?.PrincipalEntityType.ClrType ?? typeof(Tenant));
        }
    }

    /// <summary>The unique index that holds service-account names per tenant, named as the model names it.</summary>
    private string? ServiceAccountNameIndex => Model.FindEntityType(typeof(ServiceAccount))?.GetIndexes()
        .FirstOrDefault(i => i.IsUnique && i.Properties.Any(p => p.Name == nameof(ServiceAccount.NormalizedName)))?.GetDatabaseName();

    /// <summary>
    /// Whether <paramref name="violation"/> is the side of a foreign-key violation whose parent is gone (a row inserted or
    /// updated under it): the failed save wrote rows of the constraint's referencing table and deleted none of its parent
    /// table. The other side, a parent deleted under its children, is a defect and stays one. Told by what was saved, not
    /// by PostgreSQL's message, which is in the server's language ("insert or update on table …" only where lc_messages
    /// is English).
    /// </summary>
    private bool InsertsUnderAGoneParent(DbUpdateException exception, Npgsql.PostgresException violation)
    {
        var parentTable = ForeignKeyNamed(violation.ConstraintName)?.PrincipalEntityType.GetTableName();
        return exception.Entries.Any(e => e.State is EntityState.Added or EntityState.Modified && e.Metadata.GetTableName() == violation.TableName)
               && !exception.Entries.Any(e => e.State == EntityState.Deleted && parentTable is not null && e.Metadata.GetTableName() == parentTable);
    }

    public async Task LockForUpdateAsync(object entity, CancellationToken cancellationToken, bool reload = true)
    {
        var entry = Entry(entity);
        var table = entry.Metadata.GetTableName()!;
        var store = Microsoft.EntityFrameworkCore.Metadata.StoreObjectIdentifier.Table(table);
        var keys = entry.Metadata.FindPrimaryKey()!.Properties; // one column, or two (a grant: app and service account)
        var where = string.Join(" AND ", keys.Select((key, i) => $"\"{key.GetColumnName(store)}\" = {{{i}}}"));
        var values = keys.Select(key =>
        {
            var value = entry.Property(key.Name).CurrentValue;
            return key.GetTypeMapping().Converter?.ConvertToProvider(value) ?? value!;
        }).ToArray();
        // The table and column names are the model's, never input; the key values go as parameters.
        // NO KEY UPDATE: it waits for other writers of the row, not for the KEY SHARE locks of inserts that reference it
        // (an app being created in the tenant, a key for the app).
        var sql = $"SELECT 1 AS \"Value\" FROM \"{table}\" WHERE {where} FOR NO KEY UPDATE";
        var locked = await Database.SqlQueryRaw<int>(sql, values).ToListAsync(cancellationToken);
        if (locked.Count == 0)
        {
            throw Application.Common.Exceptions.NotFoundException.Of(entry.Metadata.ClrType);
        }

        if (reload && entry.State != EntityState.Detached)
        {
            await entry.ReloadAsync(cancellationToken);
        }
    }

    /// <summary>The model's foreign key whose constraint is <paramref name="constraint"/> (none for one made outside the model).</summary>
    private IForeignKey? ForeignKeyNamed(string? constraint) =>
        Model.GetEntityTypes().SelectMany(t => t.GetForeignKeys()).FirstOrDefault(f => f.GetConstraintName() == constraint);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        Collations.Declare(modelBuilder);
        modelBuilder.HasDbFunction(typeof(StoreFunctions).GetMethod(nameof(StoreFunctions.TenantOrAncestorSuspended))!)
            .HasName("tenant_or_ancestor_suspended"); // migration SuspensionInOneFunction
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ProvisioningDbContext).Assembly);
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // Typed ids are stored as their string value (nullable ones too).
        configurationBuilder.Properties<TenantId>().HaveConversion<TypedIdConverters.TenantIdConverter>().HaveMaxLength(IdGenerator.Length);
        configurationBuilder.DefaultTypeMapping<TenantId>().HasConversion<TypedIdConverters.TenantIdConverter>(); // a database function's argument
        configurationBuilder.Properties<AppId>().HaveConversion<TypedIdConverters.AppIdConverter>().HaveMaxLength(IdGenerator.Length);
        configurationBuilder.Properties<ServiceAccountId>().HaveConversion<TypedIdConverters.ServiceAccountIdConverter>().HaveMaxLength(IdGenerator.Length);
        configurationBuilder.Properties<KeyId>().HaveConversion<TypedIdConverters.KeyIdConverter>().HaveMaxLength(KeyId.Length);

        // Read-only byte strings (secrets, hashes) are bytea.
        configurationBuilder.Properties<ReadOnlyMemory<byte>>().HaveConversion<ReadOnlyBytes.Converter, ReadOnlyBytes.Comparer>();
    }
}
