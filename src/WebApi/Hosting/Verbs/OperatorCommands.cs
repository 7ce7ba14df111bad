using System.CommandLine;
using Mediator;
using Provisioning.Application.Tenants;
using Provisioning.Application.Tenants.Commands.DeleteTenantAsOperator;
using Provisioning.Application.Tenants.Commands.IssueOperatorAccountKey;
using Provisioning.Application.Tenants.Queries.GetTenantTree;
using Provisioning.Domain.Common;
using Provisioning.Infrastructure;
using Provisioning.Infrastructure.Persistence;
using Provisioning.Infrastructure.Security;

namespace Provisioning.WebApi.Hosting.Verbs;

/// <summary>
/// The operator's verbs on the published service, <c>dotnet Provisioning.WebApi.dll &lt;verb&gt;</c>, parsed by
/// System.CommandLine (help, errors, exit codes). They use the service's own configuration (environment variables,
/// appsettings.json) and services, and never start the web server. What an operator can fix is one sentence on standard
/// error and exit code 1; a usage error is the parser's message and exit code 1.
/// </summary>
public static class OperatorCommands
{
    // Written out (a server's start reads it, and building the commands would cost it); a test holds it to BuildRoot's.
    private static readonly string[] VerbNames = ["migrate", "healthcheck", "rotate-secrets", "create-account-key", "delete-tenant", "tenants", "erase-address"];

    /// <summary>The parser's own flags, which ask for its help or the version wherever they are (no server starts for them).</summary>
    private static readonly string[] HelpFlags = ["--help", "-h", "-?", "--version"];

    /// <summary>What, first, makes the arguments the parser's.</summary>
    private static readonly string[] Verbs = [.. VerbNames, .. HelpFlags];

    /// <summary>
    /// Each verb's options and the verbs that take them, written out as <see cref="Verbs"/> is (a test holds it to
    /// BuildRoot's): given without their verb, a server would read them as settings and start (an operator's
    /// <c>--pending</c> applied the pending migrations it meant to list, and served on 8080: a probe).
    /// </summary>
    private static readonly Dictionary<string, string> VerbOptions = new(StringComparer.OrdinalIgnoreCase)
    {
        ["--pending"] = "migrate",
        ["--unix-socket"] = "healthcheck",
        ["--batch-size"] = "rotate-secrets",
        ["--tenant"] = "create-account-key, delete-tenant",
        ["--name"] = "create-account-key",
        ["--under"] = "tenants",
        ["--email"] = "erase-address",
    };

    /// <summary>
    /// How long a verb has after Ctrl-C or SIGTERM to stop by itself (its statement cancelled, its transaction rolled back)
    /// before the process ends anyway, with exit code 130 (Ctrl-C) or 143 (SIGTERM) (System.CommandLine's default of 2 s
    /// cut off the rollback of a deletion on a busy database, and its message with it). Under 10 s: <c>docker stop</c> kills
    /// after 10 s by default, and a verb should end by itself first.
    /// </summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(8);

    /// <summary><c>rotate-secrets</c>' first line, a progress note like those of its batches.</summary>
    internal const string RotationStarting = "  checking the database and the master key, then re-encrypting in batches";

    /// <summary><c>migrate</c>'s line at Ctrl-C or SIGTERM: each migration commits on its own.</summary>
    private const string MigrationCancelled = "cancelling: a migration this process was applying is rolled back, and those before it stay in " +
                                              "('migrate --pending' lists what is left; migrate again to apply it).";

    /// <summary>How often <c>delete-tenant</c> says it is still at work: its one statement prints nothing until it ends (minutes for many millions of apps).</summary>
    private static readonly TimeSpan StillDeletingEvery = TimeSpan.FromSeconds(10);

    /// <summary>The log category of the pipeline's fault logging (a generic type's category leaves its arity out).</summary>
    private static readonly string UnhandledFaultsCategory =
        $"{typeof(Application.Common.Behaviors.UnhandledExceptionBehavior<,>).Namespace}.{nameof(Application.Common.Behaviors.UnhandledExceptionBehavior<,>)}";

    /// <summary>
    /// True when the arguments are for the parser, not the web server: a known verb or help flag first, any bare word
    /// first (a mistyped verb gets the parser's "unrecognized command", not a server that starts), a verb after the
    /// server's options, a help flag anywhere, or anything among the server's arguments that is not a setting
    /// (<see cref="NotSettings"/>: refused, not a server that starts). The server's own arguments start with '-'
    /// (<c>--urls …</c>) or set a value (<c>key=value</c>).
    /// </summary>
    public static bool IsVerb(string[] args) =>
        args.Length > 0 && (Verbs.Contains(args[0]) || (!args[0].StartsWith('-') && !args[0].Contains('=')) || VerbAfterOptions(args) is not null
                            || args.Any(HelpFlags.Contains) || NotSettings(args) is not null);

    public static Task<int> InvokeAsync(string[] args) => InvokeAsync(args, VerbConsole.Standard);

    /// <summary>Runs the verb that <paramref name="args"/> name with <paramref name="console"/>'s writers, settings and logger (a test's, in its own process).</summary>
    internal static Task<int> InvokeAsync(string[] args, VerbConsole console)
    {
        if (VerbAfterOptions(args) is { } verb)
        {
            console.Error.WriteLine($"Provisioning: the verb comes first ('dotnet Provisioning.WebApi.dll {verb} [options]'); " +
                                    $"'{verb}' was given after '{ShownName(args[0])}'. The verbs take their settings from the configuration.");
            return Task.FromResult(1);
        }

        if (Array.FindIndex(args, arg => arg.Contains('\uFFFD')) is var garbled and >= 0)
        {
            // The runtime reads the command line as UTF-8 and puts U+FFFD for what is not: a key named so was made (a probe).
            // Said by its place, not its text (it may be a setting's value: a password).
            console.Error.WriteLine($"Provisioning: argument {garbled + 1} holds bytes that are not UTF-8 (read as U+FFFD): " +
                                    "set the terminal or the script to UTF-8 and give it again.");
            return Task.FromResult(1);
        }

        if (args.Length > 0 && IsServersShape(args[0]))
        {
            // Help asked for among the server's settings ('--urls … --help'): the help, not a server that starts.
            if (args.FirstOrDefault(HelpFlags.Contains) is { } flag)
            {
                args = [flag];
            }
            else if (NotSettings(args) is { } problem)
            {
                console.Error.WriteLine($"Provisioning: {problem}");
                return Task.FromResult(1);
            }
        }

        // No response files: the parser's default read a word starting with '@' as a file of more words, so a key named
        // '--name @ops' failed ("Response file not found") or, with a file of that name in the working folder, took its
        // contents as arguments (a review of .NET 10's System.CommandLine). The verbs' few options need none.
        var parse = BuildRoot(console).Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        return parse.InvokeAsync(new InvocationConfiguration
        {
            // A usage error's help and suggestions go with its message, to standard error: standard output is a verb's
            // answer alone ('tenants --bogus > tree.txt' filled the file with help). Asked for, help is the answer.
            Output = parse.Errors.Count > 0 ? console.Error : console.Output,
            Error = console.Error,
            // Ctrl-C and SIGTERM are the process's: a verb run inside another process (a test's) leaves them to it.
            ProcessTerminationTimeout = console.TakesSignals ? StopGrace : null,
        });
    }

    /// <summary>The verbs <see cref="BuildRoot"/> makes (for a test that <see cref="Verbs"/> lists each).</summary>
    internal static IEnumerable<string> CommandNames() => BuildRoot(VerbConsole.Standard).Subcommands.Select(command => command.Name);

    /// <summary>Each verb's own options as <see cref="BuildRoot"/> makes them, and as <see cref="VerbOptions"/> lists them (for a test).</summary>
    internal static (IEnumerable<(string Verb, string Option)> Built, IReadOnlyDictionary<string, string> Listed) CommandOptions() =>
        (BuildRoot(VerbConsole.Standard).Subcommands.SelectMany(command => command.Options
            .Where(option => option is not System.CommandLine.Help.HelpOption).Select(option => (command.Name, option.Name))), VerbOptions);

    private static string? VerbAfterOptions(string[] args) =>
        args.Length > 1 && args[0].StartsWith('-') ? args.Skip(1).FirstOrDefault(a => !a.StartsWith('-') && Verbs.Contains(a)) : null;

    /// <summary>Arguments in the server's shape: its settings, <c>--name value</c>, <c>--name=value</c> or <c>name=value</c>.</summary>
    private static bool IsServersShape(string first) => first.StartsWith('-') || first.Contains('=');

    /// <summary>
    /// Why <paramref name="args"/>, in the server's shape, are not all settings, or null when they are: a verb's option (the
    /// verb left out), a name with no value (<c>--pending</c>, <c>--bogus</c>: the configuration's reader dropped it, and the
    /// server started), a name after a single '-' (which the reader ignores, <c>-urls x</c>, or refuses with a stack trace,
    /// <c>-urls=x</c>), or a word that is neither. The server's settings are the configuration's command line: each
    /// <c>--name value</c>, <c>--name=value</c>, <c>/name value</c> or <c>name=value</c>; an empty argument (a script's unset
    /// variable in quotes) is skipped, as the reader skips it.
    /// </summary>
    private static string? NotSettings(string[] args)
    {
        if (args.Length == 0 || !IsServersShape(args[0]))
        {
            return null;
        }

        const string Shape = "the service's own arguments are settings, each '--name value' or '--name=value' ('--urls http://127.0.0.1:8080'); " +
                             "a verb comes first ('dotnet Provisioning.WebApi.dll --help' lists them)";
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (string.IsNullOrWhiteSpace(arg))
            {
                continue;
            }

            if (arg.StartsWith('-') && !arg.StartsWith("--", StringComparison.Ordinal))
            {
                return $"'{ShownName(arg)}' is not a setting (one '-'): {Shape}.";
            }

            var named = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg.StartsWith('/') ? arg[1..] : null;
            if (named is null)
            {
                if (!arg.Contains('='))
                {
                    // Said by its place: a word of an unquoted value (a password with a space) may be what was left over.
                    return $"argument {i + 1} is neither a setting nor a verb: {Shape}.";
                }

                continue;
            }

            var name = named.Split('=', 2)[0];
            if (VerbOptions.TryGetValue("--" + name, out var verbs))
            {
                return $"--{Shown(name)} is an option of {verbs}: the verb comes first ('dotnet Provisioning.WebApi.dll {verbs.Split(',')[0]} --{Shown(name)} …').";
            }

            if (name.Length == 0)
            {
                return $"'{ShownName(arg)}' names no setting: {Shape}.";
            }

            if (!named.Contains('='))
            {
                if (i + 1 == args.Length)
                {
                    return $"'{ShownName(arg)}' has no value: {Shape}.";
                }

                i++; // its value
            }
        }

        return null;
    }

    private static string Shown(string typed) => Domain.Common.Text.Echo(typed);

    /// <summary>An argument's name, said back without the value after its '=' (<c>--ConnectionStrings:Provisioning=…;Password=…</c>).</summary>
    private static string ShownName(string arg) => Shown(arg.Split('=', 2)[0]) + (arg.Contains('=') ? "=…" : string.Empty);

    private static RootCommand BuildRoot(VerbConsole console)
    {
        var root = new RootCommand("Provisioning: operator verbs. Without a verb, the service serves its API.");
        // The parser's own line is the informational version alone; this adds the commit's date, which the upgrade notes go by.
        root.Options.OfType<VersionOption>().Single().Action = new PrintBuildVersion();

        var pendingOnly = new Option<bool>("--pending")
        {
            Description = "Apply nothing: print the migrations this build would apply, one per line (none: nothing), to choose between " +
                          "a rolling upgrade and stopping every instance (docs/operations.md, \"Upgrading\").",
        };
        var migrate = new Command("migrate", "Apply pending database migrations and exit (for deployments that migrate as a separate step).") { pendingOnly };
        migrate.SetAction((parse, signal) => WithServicesAsync(console, migrate.Name, signal, whenCancelled: parse.GetValue(pendingOnly) ? "cancelled: nothing was applied." : MigrationCancelled, verb: async (services, ct) =>
        {
            if (parse.GetValue(pendingOnly))
            {
                var pending = await services.PendingMigrationsAsync(ct);
                foreach (var migration in pending)
                {
                    console.Output.WriteLine(migration);
                }

                console.Error.WriteLine(pending.Count == 0
                    ? "Provisioning: no migration is pending: the database is migrated for this build."
                    : $"Provisioning: {pending.Count} migration(s) pending; docs/operations.md, \"Upgrading\", says which may be applied while older instances serve.");
                return 0;
            }

            await services.MigrateDatabaseAsync(ct);
            await services.CheckMasterKeyAsync(record: false, ct);
            console.Output.WriteLine("The database is migrated.");
            return 0;
        }));
        root.Subcommands.Add(migrate);

        var url = new Argument<string?>("readyz-url")
        {
            Description = "The readiness URL to probe (default: this host's instance, where its Kestrel endpoints or ASPNETCORE_URLS say it " +
                          "listens; over its Unix socket when that is all they name).",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var unixSocket = new Option<string?>("--unix-socket")
        {
            Description = "Probe over this Unix socket, as curl --unix-socket does (the URL's default is then http://localhost/readyz).",
        };
        var healthcheck = new Command("healthcheck", "Exit 0 when the service's /readyz answers 200 (for container health checks); without a URL, this host's instance's.") { url, unixSocket };
        healthcheck.SetAction((parse, _) =>
        {
            var (target, over) = (parse.GetValue(url), parse.GetValue(unixSocket)) switch
            {
                ({ } given, var socket) => (given, socket),
                (null, { } socket) => (HealthCheckCommand.OverASocket(), socket),
                _ => HealthCheckCommand.DefaultTarget(console.Settings),
            };
            return HealthCheckCommand.ProbeAsync(target, over, console.Error);
        });
        root.Subcommands.Add(healthcheck);

        var batchSize = new Option<int>("--batch-size")
        {
            Description = "Secrets re-encrypted per transaction.",
            DefaultValueFactory = _ => SecretRotation.DefaultBatchSize,
        };
        batchSize.CustomParser = r =>
        {
            // One sentence for every wrong value ('abc' was the parser's "Cannot parse argument … as expected type
            // 'System.Int32'", a probe), as for one out of range.
            if (r.Tokens is [var token] && int.TryParse(token.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var size)
                && size is >= 1 and <= 10_000)
            {
                return size;
            }

            r.AddError($"--batch-size must be a whole number between 1 and 10000; it is '{Shown(string.Join(' ', r.Tokens.Select(t => t.Value)))}'.");
            return 0;
        };
        var rotate = new Command(
            "rotate-secrets",
            "Re-encrypt every stored secret under the current Provisioning:Secrets:MasterKey, in batches, while the service runs. " +
            "List the old key in Provisioning:Secrets:PreviousMasterKeys:0 until this has finished; run it again if it was interrupted.")
        {
            batchSize,
        };
        const string rotationCancelled = "cancelling: the secrets re-encrypted so far stay so; keep the previous master keys configured " +
                                         "and run rotate-secrets again to finish.";
        rotate.SetAction((parse, signal) =>
        {
            // Said before the cold start (the service built, EF's model, the checks): on a busy host that took 16-31 s before
            // the first batch's line, which looked like a hang (a probe; docs/operations.md, "Rotate the master key").
            console.Error.WriteLine(RotationStarting);
            return WithReadyDatabaseAsync(console, rotate.Name, signal, rotationCancelled, async (services, ct) =>
            {
                await using var scope = services.CreateAsyncScope();
                var rotation = scope.ServiceProvider.GetRequiredService<SecretRotation>();
                // Progress is a note (standard error); the last line is the answer.
                var count = await rotation.RotateAsync(parse.GetValue(batchSize), done => console.Error.WriteLine($"  {done} re-encrypted"), ct);
                console.Output.WriteLine($"Done: {count} secret(s) re-encrypted; every stored secret is under the current master key. " +
                                         "The previous master keys may now be removed from the configuration, once every instance runs " +
                                         "with the new key as MasterKey: one still on the old key (its /readyz answers 503) can no " +
                                         "longer store secrets (its key creations and keyed changes answer 503, or 500 from a build " +
                                         "from before 2026-12-04); restart it.");
                return 0;
            });
        });
        root.Subcommands.Add(rotate);

        var tenant = new Option<string>("--tenant")
        {
            Description = "The tenant's id, or 'root' for the root tenant.",
            Required = true,
        };
        var name = new Option<string>("--name") { Description = "The key's display name.", DefaultValueFactory = _ => "Operator key" };
        var createKey = new Command(
            "create-account-key",
            "Create a new account key of a tenant and print it once (a lost root key, a locked-out customer). Access to this host is the authority.")
        {
            tenant,
            name,
        };
        createKey.SetAction((parse, signal) => WithReadyDatabaseAsync(console, createKey.Name, signal, null, async (services, ct) =>
        {
            await using var scope = services.CreateAsyncScope();
            var sender = scope.ServiceProvider.GetRequiredService<ISender>();
            IssuedOperatorKey key;
            try
            {
                key = await NamingTheTenantAsync(parse.GetValue(tenant)!, () => sender.Send(new IssueOperatorAccountKeyCommand(parse.GetValue(tenant)!, parse.GetValue(name)), ct).AsTask());
            }
            catch (DomainRuleException e)
            {
                // The rule names the API's field; here the value came from --name.
                console.Error.WriteLine($"Provisioning: {Errors.ErrorEnvelope.Renamed(e.Field, e.Message, Errors.ErrorEnvelope.V2NameField, name.Name)}");
                return 1;
            }

            console.Output.WriteLine($"tenantId: {key.TenantId}");
            console.Output.WriteLine($"keyId:    {key.KeyId}");
            console.Output.WriteLine($"secret:   {key.Secret}");
            console.Error.WriteLine("Provisioning: the secret is shown only now; keep it safe.");
            if (key.Suspended)
            {
                console.Error.WriteLine(
                    $"Provisioning: tenant {key.TenantId} or one of its ancestors is suspended: this key answers 403 tenant_suspended until it is resumed.");
            }

            return 0;
        }));
        root.Subcommands.Add(createKey);

        var doomed = new Option<string>("--tenant") { Description = "The tenant's id (the root is refused).", Required = true };
        var deleteTenant = new Command(
            "delete-tenant",
            "Delete a tenant and everything under it, as DELETE /v2/tenants/{id} does but without its 30 s limit on a statement " +
            "(a customer too large to delete through the API). Ctrl-C cancels it: rolled back unless it was already committing.")
        {
            doomed,
        };
        deleteTenant.SetAction((parse, signal) => WithReadyDatabaseAsync(console, deleteTenant.Name, signal, "cancelling: the deletion is rolled back unless it was already committing " +
            $"('tenants --under {parse.GetValue(doomed)}' shows whether the tenant is still there).", async (services, ct) =>
        {
            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.LiftTimeoutsAsync(ct); // on the scope's context, which the handler's unit of work uses
            var sender = scope.ServiceProvider.GetRequiredService<ISender>();
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            // What is about to go, said before the one long statement that prints nothing until it ends (a million apps:
            // 15-30 s): the operator sees the right customer was named and how big it is. Read apart from the deletion, so a
            // count as it was a moment before; the root is left to the deletion's own refusal.
            if (await sender.Send(new GetTenantTreeQuery(parse.GetValue(doomed)), ct) is [{ IsRoot: false } top, ..] subtree)
            {
                console.Error.WriteLine($"Provisioning: deleting {top.Id} ({top.Name}) with {subtree.Count - 1} tenant(s) under it " +
                                        $"and {subtree.Sum(t => (long)t.AppCount)} app(s) in all; Ctrl-C cancels.");
            }

            DeletedTenant deleted;
            using var deleting = new CancellationTokenSource();
            var stillDeleting = SayStillDeletingAsync(console.Error, parse.GetValue(doomed)!, started, ct, deleting.Token);
            try
            {
                deleted = await NamingTheTenantAsync(parse.GetValue(doomed)!, () => sender.Send(new DeleteTenantAsOperatorCommand(parse.GetValue(doomed)!), ct).AsTask());
            }
            finally
            {
                await deleting.CancelAsync();
                await stillDeleting;
            }

            console.Output.WriteLine($"deleted: {deleted.Id} ({deleted.Name}) and everything under it, " +
                                     $"in {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s");
            return 0;
        }));
        root.Subcommands.Add(deleteTenant);

        var under = new Option<string>("--under") { Description = "Only this tenant (its id, or 'root') and its subtree." };
        var tenants = new Command("tenants", "Print the tenant tree with each tenant's status, budgets and own app count.") { under };
        tenants.SetAction((parse, signal) => WithReadyDatabaseAsync(console, tenants.Name, signal, null, async (services, ct) =>
        {
            await using var scope = services.CreateAsyncScope();
            var rows = await scope.ServiceProvider.GetRequiredService<ISender>().Send(new GetTenantTreeQuery(parse.GetValue(under)), ct);
            if (rows.Count == 0)
            {
                console.Error.WriteLine($"Provisioning: {OperatorTenant.NoTenantsYet}");
                return 0;
            }

            foreach (var row in rows)
            {
                var budgets = $"apps {row.AppCount}{(row.MaxApps is { } a ? $" (subtree budget {a})" : string.Empty)}" +
                              (row.MaxTenants is { } t ? $", tenant budget {t}" : string.Empty);
                console.Output.WriteLine($"{new string(' ', 2 * row.Depth)}{row.Name}  [{row.Id}]  {row.Status}{(row.SuspendedBy is { } by ? $" by [{by}]" : "")}  {budgets}");
            }

            return 0;
        }));
        root.Subcommands.Add(tenants);

        var address = new Option<string>("--email") { Description = "The address, as a tenant's user had it (any case).", Required = true };
        var erase = new Command(
            "erase-address",
            "Erase a person's email address from the audit trail (its events then name a pseudonym) and from stored answers, once it is " +
            "no tenant's user (a request to be forgotten; docs/operations.md, \"Personal data\").")
        {
            address,
        };
        erase.SetAction((parse, signal) => WithReadyDatabaseAsync(console, erase.Name, signal, "cancelling: nothing is erased unless it was already committing.",
            async (services, ct) =>
        {
            if (string.IsNullOrWhiteSpace(parse.GetValue(address)))
            {
                console.Error.WriteLine("Provisioning: --email is empty: give the address to erase.");
                return 1;
            }

            await using var scope = services.CreateAsyncScope();
            // Its stored answers are found by their Location, which no index serves: no limit of 30 s on that statement.
            await scope.ServiceProvider.LiftTimeoutsAsync(ct);
            var erased = await scope.ServiceProvider.GetRequiredService<Infrastructure.Audit.AddressErasure>().EraseAsync(parse.GetValue(address)!, ct);
            // The address itself is not repeated: this output may go to a ticket or a log.
            if (erased is { Events: 0, StoredAnswers: 0 })
            {
                // A mistyped address looked erased ("erased: no event named it"): said as nothing found, and, when it is no
                // address at all, as the mistake it is (exit 1). One stored under older, looser rules is still erased above.
                if (!Domain.Tenants.TenantUser.IsAddress(parse.GetValue(address)!))
                {
                    console.Error.WriteLine("Provisioning: --email is not an email address, and no event or stored answer names it: nothing was erased.");
                    return 1;
                }

                console.Output.WriteLine("erased: nothing; no event and no stored answer name this address (compared in any case: check it if one was expected)");
                return 0;
            }

            console.Output.WriteLine(erased.Pseudonym is { } pseudonym
                ? $"erased: {erased.Events} event(s) now name {pseudonym}, and a tenantUser.erased event says so in {erased.Tenants} tenant(s); " +
                  $"{erased.StoredAnswers} stored answer(s) deleted"
                : $"erased: no event named it; {erased.StoredAnswers} stored answer(s) deleted");
            return 0;
        }));
        root.Subcommands.Add(erase);

        // With an action of its own, a mistyped verb is the parser's one message, not also "Required command was not provided"
        // (an operator's probe: misleading, since no verb at all starts the server).
        root.SetAction(_ =>
        {
            console.Error.WriteLine("Provisioning: no verb was given ('dotnet Provisioning.WebApi.dll --help' lists them; without arguments the service starts).");
            return 1;
        });
        return root;
    }

    /// <summary>
    /// <paramref name="send"/>'s answer; a tenant it finds gone between the verb's look and its change (another
    /// delete-tenant, or the API's, got there first: "Tenant not found.", a probe) is said as the operator named it, as one
    /// the look did not find is (whose words, such as "there are no tenants yet", are kept).
    /// </summary>
    private static async Task<T> NamingTheTenantAsync<T>(string reference, Func<Task<T>> send)
    {
        try
        {
            return await send();
        }
        catch (Application.Common.Exceptions.NotFoundException e) when (e.IsUnnamedTenant)
        {
            throw Application.Common.Exceptions.NotFoundException.Tenant(reference);
        }
    }

    /// <summary>
    /// Says every <see cref="StillDeletingEvery"/> that the deletion is still under way, until <paramref name="stop"/> or a
    /// cancellation of the <paramref name="verb"/>: the operator of a long one sees the verb is not hung, and that Ctrl-C is
    /// still safe.
    /// </summary>
    private static async Task SayStillDeletingAsync(TextWriter error, string tenant, long started, CancellationToken verb, CancellationToken stop)
    {
        using var every = new PeriodicTimer(StillDeletingEvery);
        try
        {
            // The verb's own token is cancelled as the cancel note is printed, before its callbacks run (Npgsql's, which may
            // take seconds to reach a stalled server, comes before the one that stops this timer): asked before each line,
            // it keeps a tick from following the note.
            while (await every.WaitForNextTickAsync(stop) && !verb.IsCancellationRequested)
            {
                error.WriteLine($"Provisioning: still deleting {tenant} " +
                                        $"({System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds:0} s so far); Ctrl-C cancels and rolls it back.");
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The deletion ended (or was cancelled): nothing more to say here.
        }
    }

    /// <summary>
    /// <see cref="WithServicesAsync"/> for a verb that reads or writes the data: the database must be migrated and the
    /// master key must be the one its secrets are under, as for the service's start.
    /// </summary>
    private static Task<int> WithReadyDatabaseAsync(
        VerbConsole console, string name, CancellationToken signal, string? whenCancelled, Func<IServiceProvider, CancellationToken, Task<int>> verb) =>
        WithServicesAsync(console, name, signal, async (services, cancellationToken) =>
        {
            await services.EnsureMigratedAsync("this verb does not apply them", cancellationToken);
            await services.CheckMasterKeyAsync(record: false, cancellationToken);
            return await verb(services, cancellationToken);
        }, whenCancelled);

    /// <summary>
    /// Builds the service (not started; its sessions named by the verb's <paramref name="name"/>), checks its configuration and
    /// runs <paramref name="verb"/> with its services. Ctrl-C or SIGTERM (<paramref name="signal"/>) is exit code 1 with
    /// <paramref name="whenCancelled"/> (what became of the verb's
    /// work, what to do next), said at once: a database that does not answer the cancellation keeps the verb from stopping,
    /// and the process then ends without a word after <see cref="StopGrace"/>. So the note is the signal's only callback,
    /// and the verb's own token is cancelled from it asynchronously: its callbacks (Npgsql's, which connects to the server
    /// to cancel the statement, up to its connect timeout) run after the note and do not hold up the signal's handler.
    /// </summary>
    private static async Task<int> WithServicesAsync(
        VerbConsole console, string name, CancellationToken signal, Func<IServiceProvider, CancellationToken, Task<int>> verb, string? whenCancelled = null)
    {
        using var work = new CancellationTokenSource();
        await using var said = signal.Register(() =>
        {
            console.Error.WriteLine($"Provisioning: {whenCancelled ?? "cancelled."}");
            _ = work.CancelAsync();
        });
        var cancellationToken = work.Token;
        try
        {
            // A verb's standard output is its answer (a key, the tree) for the operator or a script to read; the service's
            // log lines (migrations applied, a warning about a setting) go to standard error, whatever their level.
            // And a fault inside a command is said once, by the verb (one sentence, or the unexpected exception with its stack
            // trace): the pipeline's own Error line for it, which a request's log needs, would say it a second time, with a trace.
            await using var app = Program.CreateApp([$"--Logging:Console:LogToStandardErrorThreshold={LogLevel.Trace}",
                $"--Logging:LogLevel:{UnhandledFaultsCategory}={LogLevel.None}", ..console.Settings]);
            if (console.Logs is { } logs)
            {
                app.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);
            }

            app.Services.ServesNoRequests(name);
            return await StartupChecksRunAsync(app, () => verb(app.Services, cancellationToken));
        }
        catch (StartupException e)
        {
            console.Error.WriteLine($"Provisioning: {e.Message}");
            return 1;
        }
        catch (ExpectedException e)
        {
            console.Error.WriteLine($"Provisioning: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 1; // Said when it came (above).
        }
    }

    private static async Task<int> StartupChecksRunAsync(WebApplication app, Func<Task<int>> verb)
    {
        var result = 1;
        await StartupChecks.RunAsync(async () => result = await verb(), app.Configuration,
            Infrastructure.DependencyInjection.PoolSetting(app.Configuration, verb: true));
        return result;
    }

    private sealed class PrintBuildVersion : System.CommandLine.Invocation.SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(BuildVersion.Description);
            return 0;
        }
    }
}
